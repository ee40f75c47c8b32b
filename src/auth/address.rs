//! Client networks as D1 keeps them: HMAC-SHA256 tags under a secret, never the address. A bare
//! hash would not do: the IPv4 space is small enough to hash whole and look an address up.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::ClientNetwork;

/// The secret `ADDRESS_KEY`.
#[derive(Clone, PartialEq, Eq)]
pub struct AddressKey(Vec<u8>);

impl AddressKey {
    /// `None` for an empty secret, which would key nothing.
    pub fn new(secret: &str) -> Option<Self> {
        (!secret.is_empty()).then(|| Self(secret.as_bytes().to_vec()))
    }

    /// The network's tag, as hex: the same for every address of the network, and without the
    /// key, nothing to learn the network from.
    pub fn tag(&self, network: &ClientNetwork) -> String {
        self.mac(network.to_string().as_bytes())
    }

    fn mac(&self, message: &[u8]) -> String {
        // HMAC takes a key of any length, so this never fails; the fallback keeps it total.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else { return String::new() };
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for AddressKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(address: &str) -> ClientNetwork {
        ClientNetwork::parse(Some(address))
    }

    #[test]
    fn the_mac_is_hmac_sha256_as_rfc_4231_gives_it() {
        let key = AddressKey::new("Jefe").unwrap();
        assert_eq!(
            key.mac(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn addresses_of_one_network_share_a_tag_and_other_networks_do_not() {
        let key = AddressKey::new("secret").unwrap();
        assert_eq!(key.tag(&network("2001:db8:1:2::1")), key.tag(&network("2001:db8:1:2::99")));
        assert_ne!(key.tag(&network("2001:db8:1:2::1")), key.tag(&network("2001:db8:1:3::1")));
        assert_ne!(key.tag(&network("203.0.113.7")), key.tag(&network("203.0.113.8")));
    }

    #[test]
    fn the_tag_depends_on_the_key() {
        let address = network("203.0.113.7");
        assert_ne!(AddressKey::new("one").unwrap().tag(&address), AddressKey::new("two").unwrap().tag(&address));
    }

    #[test]
    fn the_tag_is_not_the_bare_sha_256_of_the_address() {
        use sha2::Digest;
        let tag = AddressKey::new("secret").unwrap().tag(&network("203.0.113.7"));
        assert_eq!(tag.len(), 64);
        assert_ne!(tag, hex::encode(Sha256::digest(b"203.0.113.7")));
        assert!(!tag.contains("203.0.113.7"));
    }

    #[test]
    fn an_empty_secret_is_no_key_and_a_key_never_shows_in_debug_output() {
        assert!(AddressKey::new("").is_none());
        assert!(!format!("{:?}", AddressKey::new("s3cret").unwrap()).contains("s3cret"));
    }
}
