//! The paths, methods and parameters the API serves, read from the finished document, so that the
//! document drives what the server accepts: a request to a known path with an unserved method gets
//! 405 with `Allow`; a query parameter no operation declares gets 400; and every declared query
//! and path parameter is held to its documented `maxLength`, `pattern`, `minimum` and `maximum`,
//! on every route, whether or not its handler reads it.

use regex_lite::Regex;
use serde_json::Value;

/// The documented limits of one parameter.
#[derive(Debug, Clone)]
struct Rule {
    name: String,
    max_length: Option<usize>,
    min_length: Option<usize>,
    pattern: Option<Regex>,
    minimum: Option<i128>,
    maximum: Option<i128>,
}

/// Why a parameter value is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterProblem {
    TooLong(usize),
    TooShort(usize),
    PatternMismatch,
    OutOfRange,
}

impl Rule {
    fn read(parameter: &Value) -> Rule {
        let schema = &parameter["schema"];
        let size = |key: &str| schema[key].as_u64().map(|n| n as usize);
        let bound = |key: &str| {
            schema[key]
                .as_i64()
                .map(i128::from)
                .or_else(|| schema[key].as_u64().map(i128::from))
        };
        Rule {
            name: parameter["name"].as_str().unwrap_or_default().to_owned(),
            max_length: size("maxLength"),
            min_length: size("minLength"),
            pattern: schema["pattern"].as_str().and_then(|p| Regex::new(p).ok()),
            minimum: bound("minimum"),
            maximum: bound("maximum"),
        }
    }

    fn check(&self, value: &str) -> Result<(), ParameterProblem> {
        let length = value.chars().count();
        if let Some(max) = self.max_length.filter(|max| length > *max) {
            return Err(ParameterProblem::TooLong(max));
        }
        if let Some(min) = self.min_length.filter(|min| length < *min) {
            return Err(ParameterProblem::TooShort(min));
        }
        if self.pattern.as_ref().is_some_and(|p| !p.is_match(value)) {
            return Err(ParameterProblem::PatternMismatch);
        }
        // A value that is not a number is left to the handler, which reports its type.
        if let Ok(number) = value.trim().parse::<i128>()
            && (self.minimum.is_some_and(|min| number < min) || self.maximum.is_some_and(|max| number > max))
        {
            return Err(ParameterProblem::OutOfRange);
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Operation {
    method: String,
    query: Vec<Rule>,
    path: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Route {
    segments: Vec<String>,
    operations: Vec<Operation>,
}

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Reads the table from the finished document (`crate::openapi::finish`).
    pub fn from_document(document: &Value) -> RouteTable {
        let mut routes = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            let mut operations = Vec::new();
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let parameters: Vec<&Value> =
                    operation["parameters"].as_array().into_iter().flatten().collect();
                let of = |location: &str| {
                    parameters
                        .iter()
                        .filter(|p| p["in"] == location)
                        .map(|p| Rule::read(p))
                        .collect()
                };
                operations.push(Operation {
                    method: method.to_ascii_uppercase(),
                    query: of("query"),
                    path: of("path"),
                });
            }
            routes.push(Route {
                segments: path.split('/').map(str::to_owned).collect(),
                operations,
            });
        }
        RouteTable { routes }
    }

    fn matching<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a Route> + 'a {
        let parts: Vec<String> = path.split('/').map(str::to_owned).collect();
        self.routes.iter().filter(move |route| {
            route.segments.len() == parts.len()
                && route.segments.iter().zip(&parts).all(|(template, part)| {
                    template == part || (template.starts_with('{') && !part.is_empty())
                })
        })
    }

    /// The methods served at `path`, or `None` when no route matches it.
    pub fn methods_for(&self, path: &str) -> Option<Vec<String>> {
        let mut methods: Vec<String> = self
            .matching(path)
            .flat_map(|route| route.operations.iter().map(|o| o.method.clone()))
            .collect();
        methods.sort();
        methods.dedup();
        (!methods.is_empty()).then_some(methods)
    }

    /// The route and operation serving `method path`, preferring literal segments over templates
    /// (`/provinces/pre2025` over `/provinces/{code}`).
    fn operation(&self, method: &str, path: &str) -> Option<(&Route, &Operation)> {
        self.matching(path)
            .filter_map(|route| {
                route
                    .operations
                    .iter()
                    .find(|o| o.method == method)
                    .map(|operation| (route, operation))
            })
            .min_by_key(|(route, _)| route.segments.iter().filter(|s| s.starts_with('{')).count())
    }

    /// The documented template of the route serving `method path` (`/api/v1/projects/{id}`).
    pub fn template(&self, method: &str, path: &str) -> Option<String> {
        self.operation(method, path)
            .map(|(route, _)| route.segments.join("/"))
    }

    /// The query parameters the operation at `method path` declares, or `None` for a request no
    /// documented operation serves (left to the router).
    pub fn query_parameters(&self, method: &str, path: &str) -> Option<Vec<&str>> {
        self.operation(method, path)
            .map(|(_, operation)| operation.query.iter().map(|r| r.name.as_str()).collect())
    }

    /// Checks a declared query parameter's value against its documented limits.
    pub fn check_query(
        &self,
        method: &str,
        path: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ParameterProblem> {
        match self.operation(method, path) {
            Some((_, operation)) => operation
                .query
                .iter()
                .find(|r| r.name == name)
                .map_or(Ok(()), |rule| rule.check(value)),
            None => Ok(()),
        }
    }

    /// Checks the path parameters of `method path` (decoded segments) against their limits;
    /// the first refused one with its name.
    pub fn check_path(
        &self,
        method: &str,
        path: &str,
        decoded: &[String],
    ) -> Result<(), (String, ParameterProblem)> {
        let Some((route, operation)) = self.operation(method, path) else {
            return Ok(());
        };
        for (template, value) in route.segments.iter().zip(decoded) {
            let Some(name) = template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
                continue;
            };
            if let Some(rule) = operation.path.iter().find(|r| r.name == name) {
                rule.check(value).map_err(|problem| (name.to_owned(), problem))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> RouteTable {
        RouteTable::from_document(&json!({"paths": {
            "/things": {"get": {"parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                {"name": "code", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{2}$"}},
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 3}},
            ]}},
            "/things/{code}": {"get": {"parameters": [
                {"name": "code", "in": "path", "schema": {"type": "string", "pattern": "^[0-9]{2}$"}},
            ]}, "patch": {}},
            "/things/special": {"get": {}},
        }}))
    }

    #[test]
    fn parameters_are_held_to_their_documented_limits() {
        let table = table();
        assert_eq!(table.check_query("GET", "/things", "limit", "500"), Ok(()));
        assert_eq!(
            table.check_query("GET", "/things", "limit", "0"),
            Err(ParameterProblem::OutOfRange)
        );
        assert_eq!(
            table.check_query("GET", "/things", "limit", "x"),
            Ok(()),
            "left to the handler"
        );
        assert_eq!(table.check_query("GET", "/things", "code", "01"), Ok(()));
        assert_eq!(
            table.check_query("GET", "/things", "code", "1"),
            Err(ParameterProblem::PatternMismatch)
        );
        assert_eq!(
            table.check_query("GET", "/things", "q", "abcd"),
            Err(ParameterProblem::TooLong(3))
        );
        assert_eq!(
            table.check_query("GET", "/things", "q", "ăâê"),
            Ok(()),
            "characters, not bytes"
        );
        let segments = |p: &str| p.split('/').map(str::to_owned).collect::<Vec<_>>();
        assert!(
            table
                .check_path("GET", "/things/01", &segments("/things/01"))
                .is_ok()
        );
        assert_eq!(
            table.check_path("GET", "/things/abc", &segments("/things/abc")),
            Err(("code".to_owned(), ParameterProblem::PatternMismatch))
        );
        assert!(
            table
                .check_path("GET", "/things/special", &segments("/things/special"))
                .is_ok()
        );
        assert_eq!(
            table.methods_for("/things/07"),
            Some(vec!["GET".to_owned(), "PATCH".to_owned()])
        );
        assert_eq!(
            table.query_parameters("GET", "/things"),
            Some(vec!["limit", "code", "q"])
        );
    }
}
