//! Cross-origin access for front-ends on other origins (`CORS_ORIGINS`). Keys travel in the
//! `Authorization` header or the body, never in cookies, so no credentials mode is offered.

/// The value for `Access-Control-Allow-Origin` if `origin` may call the API.
pub fn allowed_origin<'a>(allowed: &[String], origin: Option<&'a str>) -> Option<&'a str> {
    let origin = origin?;
    allowed.iter().any(|entry| entry == "*" || entry == origin).then_some(origin)
}

pub const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type";
pub const EXPOSE_HEADERS: &str = "Retry-After";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE: &str = "86400";

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
