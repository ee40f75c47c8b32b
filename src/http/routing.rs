//! Which route a request is for: the one place that matches a path against the route table,
//! and answers 404 for a path no route has and 405 (with the methods it has) for a wrong method.

use std::future::Future;
use std::pin::Pin;

use worker::{Method, Request, Response, RouteContext, Router};

use super::Shared;
use crate::error::ApiError;

/// A handler: `async fn(Request, RouteContext<D>) -> Result<Response, ApiError>`, boxed.
pub type Handler<D> = fn(Request, RouteContext<D>) -> Pin<Box<dyn Future<Output = Result<Response, ApiError>>>>;

/// One route of the API: a method, a `worker::Router` pattern (`/room/:room_id`), and what
/// serves it. A GET route answers HEAD too, except those in `UNSAFE_GETS`.
pub struct Route<H> {
    pub method: &'static str,
    pub pattern: &'static str,
    pub handler: H,
}

/// GET routes that change something: the seed's clients log in with `GET /token`. HEAD, which
/// clients, caches and link checkers take to change nothing, does not reach them (405).
const UNSAFE_GETS: &[&str] = &["/token"];

/// The path of a request's URL as the runtime serialized it (`https://host/a/b?c` → `/a/b`),
/// read without parsing the URL again, as `worker::Request::path` reads it: the first `/` after
/// the host begins the path, and `?` and `#` within it are always percent-encoded.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let rest = url.get(after_scheme..).unwrap_or_default();
    let path = rest.find('/').and_then(|at| rest.get(at..)).unwrap_or("/");
    path.split(['?', '#']).next().unwrap_or("/")
}

/// The route for `method` and `path`. Patterns never overlap, so the first match is the only
/// one. `method` is the request's own: `worker` reads an unknown method as GET.
pub fn route<'r, H>(routes: &'r [Route<H>], method: &str, path: &str) -> Result<&'r Route<H>, ApiError> {
    let mut on_path = routes.iter().filter(|route| matches(route.pattern, path)).peekable();
    if on_path.peek().is_none() {
        return Err(ApiError::NotFound("no such route"));
    }
    let mut allow = Vec::new();
    for route in on_path {
        let answers_head = route.method == "GET" && !UNSAFE_GETS.contains(&route.pattern);
        if route.method == method || (method == "HEAD" && answers_head) {
            return Ok(route);
        }
        allow.push(route.method);
        if answers_head {
            allow.push("HEAD");
        }
    }
    // OPTIONS is always allowed: CORS preflights.
    allow.push("OPTIONS");
    Err(ApiError::MethodNotAllowed { allow: allow.join(", ") })
}

impl Route<Handler<Shared>> {
    /// A `worker::Router` holding this route alone, under the request's method, whose handler's
    /// error becomes its JSON answer. One route only: matchit's tree of every route costs more
    /// to build than most requests cost to serve, and the choice is made already.
    pub fn router(&self, method: Method, shared: Shared) -> Router<'static, Shared> {
        let handler = self.handler;
        let serve = move |req, ctx: RouteContext<Shared>| {
            let log = ctx.data.log.clone();
            async move { super::render(handler(req, ctx).await, &log) }
        };
        let router = Router::with_data(shared);
        match method {
            Method::Head => router.head_async(self.pattern, serve),
            Method::Post => router.post_async(self.pattern, serve),
            Method::Put => router.put_async(self.pattern, serve),
            Method::Patch => router.patch_async(self.pattern, serve),
            Method::Delete => router.delete_async(self.pattern, serve),
            _ => router.get_async(self.pattern, serve),
        }
    }
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

    #[test]
    fn a_path_is_read_from_the_url_as_the_runtime_wrote_it() {
        assert_eq!(path_of("https://chat.example/room/1/messages?limit=5#x"), "/room/1/messages");
        assert_eq!(path_of("http://127.0.0.1:8787/"), "/");
        assert_eq!(path_of("http://127.0.0.1:8787"), "/");
        assert_eq!(path_of("https://h/users?q=a/b"), "/users");
        assert_eq!(path_of("https://h/a%3Fb/c"), "/a%3Fb/c");
    }

    const ROUTES: &[Route<u8>] = &[
        Route { method: "GET", pattern: "/token", handler: 5 },
        Route { method: "POST", pattern: "/token", handler: 6 },
        Route { method: "POST", pattern: "/room", handler: 0 },
        Route { method: "GET", pattern: "/room/:room_id", handler: 1 },
        Route { method: "PATCH", pattern: "/room/:room_id", handler: 2 },
        Route { method: "DELETE", pattern: "/room/:room_id", handler: 3 },
        Route { method: "GET", pattern: "/room/:room_id/members/:user_id", handler: 4 },
    ];

    fn found(method: &str, path: &str) -> Option<u8> {
        route(ROUTES, method, path).ok().map(|route| route.handler)
    }

    fn allow(method: &str, path: &str) -> Option<String> {
        match route(ROUTES, method, path) {
            Err(ApiError::MethodNotAllowed { allow }) => Some(allow),
            _ => None,
        }
    }

    #[test]
    fn a_request_finds_its_route_and_head_the_get_route() {
        assert_eq!(found("PATCH", "/room/abc"), Some(2));
        assert_eq!(found("HEAD", "/room/abc"), Some(1));
        assert_eq!(found("GET", "/room/a/members/b"), Some(4));
    }

    #[test]
    fn a_wrong_method_lists_every_method_of_the_path_with_head_and_options() {
        assert_eq!(allow("PUT", "/room/abc").as_deref(), Some("GET, HEAD, PATCH, DELETE, OPTIONS"));
        assert_eq!(allow("GET", "/room").as_deref(), Some("POST, OPTIONS"));
        assert_eq!(allow("PROPFIND", "/room").as_deref(), Some("POST, OPTIONS"));
    }

    #[test]
    fn head_does_not_reach_the_login_by_get() {
        assert_eq!(found("GET", "/token"), Some(5));
        assert_eq!(allow("HEAD", "/token").as_deref(), Some("GET, POST, OPTIONS"));
    }

    #[test]
    fn a_path_no_route_has_is_not_found() {
        assert_eq!(route(ROUTES, "GET", "/nowhere").err(), Some(ApiError::NotFound("no such route")));
    }

    #[test]
    fn parameters_match_one_non_empty_segment() {
        assert_eq!(found("GET", "/room/a/members/b"), Some(4));
        for path in ["/room//members/b", "/room/a/members", "/room/a/members/b/c"] {
            assert_eq!(route(ROUTES, "GET", path).err(), Some(ApiError::NotFound("no such route")), "{path}");
        }
    }

    #[test]
    fn a_trailing_slash_is_another_path() {
        assert_eq!(route(ROUTES, "GET", "/room/").err(), Some(ApiError::NotFound("no such route")));
    }

    #[test]
    fn no_two_routes_of_the_service_overlap() {
        // A path made from each pattern (parameters filled in) matches that route alone.
        for route in crate::ROUTES {
            let path: Vec<&str> =
                route.pattern.split('/').map(|segment| if segment.starts_with(':') { "x" } else { segment }).collect();
            let path = path.join("/");
            let matching =
                crate::ROUTES.iter().filter(|other| other.method == route.method && matches(other.pattern, &path));
            assert_eq!(matching.count(), 1, "{} {}", route.method, route.pattern);
        }
    }
}
