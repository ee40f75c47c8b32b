//! Which methods a path answers to, for the `Allow` header of a 405.

/// The methods `routes` (method, pattern) serve for `path`, as an `Allow` value: `HEAD` beside
/// every `GET`, and `OPTIONS` always (CORS preflights). `None` if no pattern matches the path.
pub fn allowed_methods(routes: &[(&str, &str)], path: &str) -> Option<String> {
    let mut methods: Vec<&str> = Vec::new();
    for (method, pattern) in routes {
        if matches(pattern, path) && !methods.contains(method) {
            methods.push(method);
            if *method == "GET" {
                methods.push("HEAD");
            }
        }
    }
    if methods.is_empty() {
        return None;
    }
    methods.push("OPTIONS");
    Some(methods.join(", "))
}

/// The methods the service knows at all. `worker` reads any other (QUERY, PROPFIND, ...) as
/// GET, so such a request must be refused before routing.
pub fn is_known_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS")
}

/// A router pattern (`/room/:room_id`) against a path: literal segments equal, a `:name`
/// segment any non-empty one.
fn matches(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(expected), Some(segment)) if expected.starts_with(':') && !segment.is_empty() => {}
            (Some(expected), Some(segment)) if expected == segment => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[(&str, &str)] = &[
        ("POST", "/room"),
        ("GET", "/room/:room_id"),
        ("PATCH", "/room/:room_id"),
        ("DELETE", "/room/:room_id"),
        ("GET", "/room/:room_id/members/:user_id"),
    ];

    #[test]
    fn a_path_lists_every_method_of_its_pattern_with_head_and_options() {
        assert_eq!(allowed_methods(ROUTES, "/room/abc").as_deref(), Some("GET, HEAD, PATCH, DELETE, OPTIONS"));
        assert_eq!(allowed_methods(ROUTES, "/room").as_deref(), Some("POST, OPTIONS"));
    }

    #[test]
    fn parameters_match_one_non_empty_segment() {
        assert!(allowed_methods(ROUTES, "/room/a/members/b").is_some());
        assert!(allowed_methods(ROUTES, "/room//members/b").is_none());
        assert!(allowed_methods(ROUTES, "/room/a/members").is_none());
        assert!(allowed_methods(ROUTES, "/room/a/members/b/c").is_none());
    }

    #[test]
    fn only_the_methods_of_the_routes_and_options_are_known() {
        assert!(is_known_method("PATCH"));
        assert!(!is_known_method("QUERY"));
        assert!(!is_known_method("get"), "methods are case-sensitive");
    }

    #[test]
    fn a_trailing_slash_is_another_path() {
        assert!(allowed_methods(ROUTES, "/room/").is_none());
    }
}
