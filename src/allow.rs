//! Which route a request is for, and which methods a path answers to (the `Allow` header of a
//! 405).

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

/// The index in `routes` of the route for `method` and `path`; a HEAD request is served by the
/// GET route. Patterns never overlap, so the first match is the only one.
pub fn route_for(routes: &[(&str, &str)], method: &str, path: &str) -> Option<usize> {
    let method = if method == "HEAD" { "GET" } else { method };
    routes.iter().position(|(route_method, pattern)| *route_method == method && matches(pattern, path))
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
    fn a_request_finds_its_route_and_head_the_get_route() {
        assert_eq!(route_for(ROUTES, "PATCH", "/room/abc"), Some(2));
        assert_eq!(route_for(ROUTES, "HEAD", "/room/abc"), Some(1));
        assert_eq!(route_for(ROUTES, "GET", "/room/a/members/b"), Some(4));
        assert_eq!(route_for(ROUTES, "PUT", "/room/abc"), None);
        assert_eq!(route_for(ROUTES, "GET", "/nowhere"), None);
    }

    #[test]
    fn no_two_routes_of_the_service_overlap() {
        // A path made from each pattern (parameters filled in) matches that route alone.
        for (method, pattern) in crate::ROUTES {
            let path: Vec<&str> = pattern.split('/').map(|segment| if segment.starts_with(':') { "x" } else { segment }).collect();
            let path = path.join("/");
            let matching = crate::ROUTES.iter().filter(|(other, candidate)| other == method && matches(candidate, &path));
            assert_eq!(matching.count(), 1, "{method} {pattern}");
        }
    }

    #[test]
    fn a_trailing_slash_is_another_path() {
        assert!(allowed_methods(ROUTES, "/room/").is_none());
    }
}
