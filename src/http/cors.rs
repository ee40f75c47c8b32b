//! Cross-origin access for front-ends on other origins (`CORS_ORIGINS`). Keys travel in the
//! `Authorization` header or the body, never in cookies, so no credentials mode is offered.

use worker::Headers;

const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, X-D1-Bookmark";
const EXPOSE_HEADERS: &str = "Retry-After, X-D1-Bookmark";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "86400";

/// The CORS side of one answer.
pub struct Cors<'a> {
    /// The request's `Origin`, if `CORS_ORIGINS` allows it.
    pub allowed_origin: Option<&'a str>,
    pub preflight: bool,
}

impl<'a> Cors<'a> {
    /// For a request from `origin` (its `Origin` header), given the allowed origins.
    pub fn new(allowed: &[String], origin: Option<&'a str>, preflight: bool) -> Self {
        Self { allowed_origin: allowed_origin(allowed, origin), preflight }
    }

    pub fn add_headers(&self, headers: &mut Headers) -> worker::Result<()> {
        headers.set("Vary", "Origin")?;
        let Some(origin) = self.allowed_origin else {
            return Ok(());
        };
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS)?;
        if self.preflight {
            headers.set("Access-Control-Allow-Methods", ALLOW_METHODS)?;
            headers.set("Access-Control-Allow-Headers", ALLOW_HEADERS)?;
            headers.set("Access-Control-Max-Age", MAX_AGE)?;
        }
        Ok(())
    }
}

/// The value for `Access-Control-Allow-Origin` if `origin` may call the API.
fn allowed_origin<'a>(allowed: &[String], origin: Option<&'a str>) -> Option<&'a str> {
    let origin = origin?;
    allowed.iter().any(|entry| entry == "*" || entry == origin).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Vec<String> {
        list.iter().map(|origin| origin.to_string()).collect()
    }

    #[test]
    fn no_origin_is_allowed_by_default() {
        assert_eq!(allowed_origin(&[], Some("https://a.example")), None);
    }

    #[test]
    fn a_listed_origin_is_allowed_exactly() {
        let allowed = origins(&["https://a.example"]);
        assert_eq!(allowed_origin(&allowed, Some("https://a.example")), Some("https://a.example"));
        assert_eq!(allowed_origin(&allowed, Some("https://a.example.evil")), None);
        assert_eq!(allowed_origin(&allowed, Some("http://a.example")), None);
        assert_eq!(allowed_origin(&allowed, None), None);
    }

    #[test]
    fn a_star_allows_every_origin() {
        assert_eq!(allowed_origin(&origins(&["*"]), Some("https://b.example")), Some("https://b.example"));
    }
}
