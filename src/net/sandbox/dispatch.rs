//! From an HTTP request to an answer: find the endpoint (paths come from the catalog, never
//! spelled here), read the body within limits, let the endpoint's family answer, and write
//! the outcome to the journal.
//!
//! Every catalog service a partner calls is routed (`snap::services::offline_answerer`):
//! the services with state or a special shape to their own family, every other one to the
//! `generic` answer (rules plus response template). Notifications are the inbox's.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::errors::{NO_SERVICE, Rejection};
use super::request::{self, BodyFailure, Received};
use super::respond::Answer;
use super::state::Shared;
use super::{
    API_PREFIX, NOTIFICATION_PUBLIC_KEY_PATH, biller, checks, ewallet, generic, history_list,
    token, utilities, va,
};
use crate::snap::catalog::{self, Service, ServiceAuth};
use crate::snap::services::{self, OfflineAnswerer};

/// What answers a simulated service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    SignatureAuth,
    SignatureService,
    AccessToken,
    VaInquiry,
    VaPayment,
    VaCreate,
    VaStatus,
    EwalletRegistration,
    HistoryList,
    BillerTrx,
    /// Rules and response template (`generic`).
    Generic,
    /// A GET service: path parameter and query judged instead of a body.
    GenericGet,
    TokenB2b2c,
}

/// The services with a family of their own, by catalog id; every other partner-called
/// service gets [`Family::Generic`] (or its GET and token variants).
const SIMULATED: &[(&str, Family)] = &[
    ("aspi-signature-auth", Family::SignatureAuth),
    ("aspi-signature-service", Family::SignatureService),
    ("snap-73", Family::AccessToken),
    ("snap-24", Family::VaInquiry),
    ("snap-25", Family::VaPayment),
    ("snap-27", Family::VaCreate),
    ("snap-26", Family::VaStatus),
    ("snap-54", Family::EwalletRegistration),
    ("snap-12", Family::HistoryList),
    ("biller-trx", Family::BillerTrx),
];

/// The e-wallet registration's webRedirectUrl points under this.
pub(crate) const CHECKOUT_PREFIX: &str = "/sandbox/checkout/";

/// A path parameter's name and its percent-decoded value.
type PathParam = Option<(String, String)>;

/// A catalog path with one `{parameter}` at its end (`…/registration-card-inquiry/{custIdMerchant}`).
struct TemplatedRoute {
    prefix: String,
    param: String,
    service: &'static Service,
    family: Family,
}

/// Path → simulated service, built once from the catalog.
pub(crate) struct Routes {
    by_path: HashMap<String, (&'static Service, Family)>,
    templated: Vec<TemplatedRoute>,
}

/// The family answering `service` in the sandbox, if the sandbox answers it.
fn family_of(service: &Service) -> Option<Family> {
    if let Some((_, family)) = SIMULATED.iter().find(|(id, _)| *id == service.id) {
        return Some(*family);
    }
    if services::offline_answerer(service) != Some(OfflineAnswerer::Sandbox) {
        return None;
    }
    Some(match service.auth {
        ServiceAuth::TokenB2b2c => Family::TokenB2b2c,
        _ if service.method == "GET" => Family::GenericGet,
        _ => Family::Generic,
    })
}

impl Routes {
    pub fn from_catalog() -> Self {
        let mut routes = Routes {
            by_path: HashMap::new(),
            templated: Vec::new(),
        };
        for service in catalog::services() {
            let Some(family) = family_of(service) else {
                continue;
            };
            let path = service.full_path(API_PREFIX);
            match path.split_once('{') {
                Some((prefix, rest)) => routes.templated.push(TemplatedRoute {
                    prefix: prefix.to_string(),
                    param: rest.trim_end_matches('}').to_string(),
                    service,
                    family,
                }),
                None => {
                    routes.by_path.insert(path, (service, family));
                }
            }
        }
        routes
    }

    fn find(&self, path: &str) -> Option<(&'static Service, Family, PathParam)> {
        if let Some((service, family)) = self.by_path.get(path) {
            return Some((service, *family, None));
        }
        self.templated.iter().find_map(|route| {
            let value = path.strip_prefix(&route.prefix)?;
            if value.is_empty() || value.contains('/') {
                return None;
            }
            let decoded = percent_decode(value);
            Some((
                route.service,
                route.family,
                Some((route.param.clone(), decoded)),
            ))
        })
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A simulated endpoint, for banners and the window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedEndpoint {
    pub method: String,
    pub path: String,
    pub title: String,
}

/// Every endpoint the sandbox answers, in catalog order (its own GET pages last).
pub fn endpoints() -> Vec<SimulatedEndpoint> {
    let mut list: Vec<SimulatedEndpoint> = catalog::services()
        .iter()
        .filter(|service| family_of(service).is_some())
        .map(|service| SimulatedEndpoint {
            method: service.method.clone(),
            path: service.full_path(API_PREFIX),
            title: service.title(),
        })
        .collect();
    list.push(SimulatedEndpoint {
        method: "GET".into(),
        path: NOTIFICATION_PUBLIC_KEY_PATH.into(),
        title: "the sandbox's notification public key (SPKI PEM)".into(),
    });
    list.push(SimulatedEndpoint {
        method: "GET".into(),
        path: format!("{CHECKOUT_PREFIX}{{referenceNo}}"),
        title: "where an e-wallet registration's webRedirectUrl points".into(),
    });
    list
}

enum Endpoint {
    Simulated(&'static Service, Family, PathParam),
    NotificationKey,
    Checkout(String),
}

/// The hyper service: every request ends here, and every request gets an answer.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let answer = answer(&shared, parts, body).await;
    shared.record(method.as_str(), &path, &answer, started.elapsed());
    Ok(answer.into_response())
}

async fn answer(shared: &Shared, parts: Parts, body: Incoming) -> Answer {
    let path = parts.uri.path();
    // A provider's context root (sent, not signed) and its own token path lead to the
    // catalog's routes; a path without the context root is not found.
    let resolved = match shared.config.provider.route_path(path) {
        Some(inner) => resolve(shared, &parts.method, &inner),
        None => Err(outside_context_root(
            &shared.config.provider.context_root,
            path,
        )),
    };
    let service_code = match &resolved {
        Ok(Endpoint::Simulated(service, _, _)) => checks::service_code(service),
        _ => NO_SERVICE,
    };
    // Read the body whatever the route, so that even a rejection is answered after the
    // client has finished sending (answering mid-upload makes clients see a reset).
    let body = match request::read_body(
        body,
        &parts.headers,
        shared.config.max_body_bytes,
        shared.config.body_read_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(failure) => return body_failure(shared, failure, service_code),
    };
    if let Some(reason) = crate::net::http::ambiguity(&parts) {
        // Read two ways, so not read at all; the connection may be framed either way too.
        return Rejection::bad_request(service_code, &reason)
            .because(reason)
            .closing()
            .into_answer(shared.explain());
    }
    let endpoint = match resolved {
        Ok(endpoint) => endpoint,
        Err(rejection) => return rejection.into_answer(shared.explain()),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.to_string(), |pq| pq.as_str().to_string());
    let received = Received {
        method: parts.method,
        path_and_query,
        headers: parts.headers,
        body,
    };
    let outcome = match endpoint {
        Endpoint::NotificationKey => Ok(Answer::text(
            StatusCode::OK,
            shared.notification_public_key_pem.clone(),
        )),
        Endpoint::Checkout(reference) => Ok(ewallet::checkout_page(&reference)),
        Endpoint::Simulated(service, family, param) => {
            run_family(shared, &received, service, family, param).await
        }
    };
    outcome.unwrap_or_else(|rejection| rejection.into_answer(shared.explain()))
}

async fn run_family(
    shared: &Shared,
    received: &Received,
    service: &'static Service,
    family: Family,
    param: PathParam,
) -> Result<Answer, Rejection> {
    match family {
        Family::SignatureAuth => utilities::signature_auth(received),
        Family::SignatureService => utilities::signature_service(received),
        Family::AccessToken => token::issue(shared, received, service).await,
        Family::VaInquiry => va::inquiry(shared, received, service).await,
        Family::VaPayment => va::payment(shared, received, service).await,
        Family::VaCreate => va::create(shared, received, service).await,
        Family::VaStatus => va::status(shared, received, service).await,
        Family::EwalletRegistration => ewallet::register(shared, received, service).await,
        Family::HistoryList => history_list::list(shared, received, service).await,
        Family::BillerTrx => Ok(biller::transaction(shared, received)),
        Family::Generic => generic::answer(shared, received, service).await,
        Family::GenericGet => generic::answer_get(shared, received, service, param).await,
        Family::TokenB2b2c => generic::token_b2b2c(shared, received, service).await,
    }
}

fn resolve(shared: &Shared, method: &Method, path: &str) -> Result<Endpoint, Rejection> {
    let sandbox_page = if path == NOTIFICATION_PUBLIC_KEY_PATH {
        Some(Endpoint::NotificationKey)
    } else {
        path.strip_prefix(CHECKOUT_PREFIX)
            .filter(|reference| !reference.is_empty() && !reference.contains('/'))
            .map(|reference| Endpoint::Checkout(reference.to_string()))
    };
    if let Some(page) = sandbox_page {
        return if method == Method::GET {
            Ok(page)
        } else {
            Err(not_allowed(NO_SERVICE, "GET", path))
        };
    }
    if let Some((service, family, param)) = shared.routes.find(path) {
        return if method.as_str() == service.method {
            Ok(Endpoint::Simulated(service, family, param))
        } else {
            Err(not_allowed(
                checks::service_code(service),
                &service.method,
                path,
            ))
        };
    }
    // Unknown here; a catalog service the sandbox does not simulate gets its own code.
    let (code, what) = match catalog::by_path(API_PREFIX, path) {
        Some(service) => (
            checks::service_code(service),
            format!("The sandbox does not simulate {}", service.title()),
        ),
        None => (
            NO_SERVICE,
            format!("No sandbox endpoint at {method} {}", shown(path)),
        ),
    };
    Err(
        Rejection::new(404, code, "02", format!("Invalid Routing. {what}"))
            .because("see the module docs of net::sandbox (or the CLI banner) for the endpoints"),
    )
}

/// A provider with a context root answers nothing outside it.
fn outside_context_root(root: &str, path: &str) -> Rejection {
    Rejection::new(
        404,
        NO_SERVICE,
        "02",
        format!("Invalid Routing. No endpoint at {}", shown(path)),
    )
    .because(format!(
        "this sandbox behaves like a provider whose paths all start with its context root {root}"
    ))
}

fn not_allowed(service_code: &str, allowed: &str, path: &str) -> Rejection {
    Rejection::new(
        405,
        service_code,
        "00",
        format!(
            "Requested Function Is Not Supported. Use {allowed} for {}",
            shown(path)
        ),
    )
}

fn body_failure(shared: &Shared, failure: BodyFailure, service_code: &str) -> Answer {
    let rejection = match failure {
        BodyFailure::TooLarge => Rejection::new(
            413,
            service_code,
            "00",
            format!(
                "Payload Too Large. The body is over {} bytes",
                shared.config.max_body_bytes
            ),
        ),
        BodyFailure::TimedOut => Rejection::new(
            408,
            service_code,
            "00",
            format!(
                "Request Timeout. The body did not arrive within {} s",
                shared.config.body_read_timeout.as_secs_f32()
            ),
        ),
        BodyFailure::Broken => {
            Rejection::bad_request(service_code, "The body could not be read to its end")
        }
    };
    rejection.closing().into_answer(shared.explain())
}

fn shown(path: &str) -> String {
    path.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partner_called_service_is_routed_and_no_notification_is() {
        let routes = Routes::from_catalog();
        for service in catalog::services() {
            let path = service
                .full_path(API_PREFIX)
                .replace("{custIdMerchant}", "C1");
            let found = routes.find(&path).map(|(s, _, _)| s.id.as_str());
            if service.inbound {
                assert_eq!(found, None, "{} is the inbox's", service.id);
            } else {
                assert_eq!(found, Some(service.id.as_str()), "{}", service.id);
            }
        }
        let listed = endpoints().len();
        let partner_called = catalog::services().iter().filter(|s| !s.inbound).count();
        assert_eq!(
            listed,
            partner_called + 2,
            "plus the sandbox's own two pages"
        );
    }

    #[test]
    fn path_parameters_are_decoded_and_single_segment() {
        let routes = Routes::from_catalog();
        let found = routes.find("/api/v1.0/registration-card-inquiry/A%20B+1");
        let (service, family, param) = found.unwrap_or_else(|| panic!("no route"));
        assert_eq!(service.code.as_deref(), Some("03"));
        assert_eq!(family, Family::GenericGet);
        assert_eq!(param, Some(("custIdMerchant".into(), "A B+1".into())));
        assert!(
            routes
                .find("/api/v1.0/registration-card-inquiry/")
                .is_none()
        );
        assert!(
            routes
                .find("/api/v1.0/registration-card-inquiry/a/b")
                .is_none()
        );
        assert_eq!(
            routes.find("/api/v1.0/access-token/b2b2c").map(|f| f.1),
            Some(Family::TokenB2b2c)
        );
    }
}
