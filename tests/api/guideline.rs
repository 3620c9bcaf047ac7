//! The rulebook pages (`GET /guideline`, `GET /guideline/{topic}`): public HTML showing every
//! card topic with the running configuration's numbers, under a strict security policy.

use std::sync::Arc;

use cards::Topic;
use oms_cds::auth::LocalIssuer;
use oms_cds::rulebook::rulebook_url;
use oms_cds::startup::Application;
use oms_cds::state::LocalTrust;
use rust_decimal::Decimal;

use crate::helpers::{client, spawn_app, spawn_app_with, test_settings};

/// The page's text with the entities the templates write turned back into characters.
fn decoded(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn get_page(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, decoded(&response.text().await.unwrap()))
}

fn assert_rulebook_headers(headers: &reqwest::header::HeaderMap, url: &str) {
    assert_eq!(headers["content-type"], "text/html; charset=utf-8", "{url}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
    assert_eq!(headers["cache-control"], "public, max-age=300", "{url}");
    let policy = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "style-src 'sha256-",
        "img-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{url}: {policy}");
    }
    assert!(!policy.contains("unsafe"), "{url}: {policy}");
}

#[tokio::test]
async fn the_index_lists_and_links_every_topic_in_three_groups() {
    let app = spawn_app().await;
    let (status, headers, body) = get_page(&format!("{}/guideline", app.address)).await;
    assert_eq!(status, 200);
    assert_rulebook_headers(&headers, "/guideline");
    assert_eq!(body.matches("<h1>").count(), 1);
    for topic in Topic::ALL {
        assert!(
            body.contains(&format!("href=\"guideline/{}\"", topic.code())),
            "{} is not linked",
            topic.code()
        );
        assert!(body.contains(topic.display()), "{}", topic.display());
    }
    for heading in ["Primary recommendations", "Additional cards", "Safety"] {
        assert!(body.contains(&format!(">{heading}</h2>")), "{heading}");
    }
    assert!(body.contains("OMS immunotherapy is off-label"));
    assert!(body.contains("the clinician decides"));
    assert!(!body.contains("<script"));
    app.stop().await;
}

#[tokio::test]
async fn every_topic_page_answers_with_the_configured_values() {
    let app = spawn_app().await;
    for topic in Topic::ALL {
        let url = rulebook_url(&app.address, topic);
        let (status, headers, body) = get_page(&url).await;
        assert_eq!(status, 200, "{url}");
        assert_rulebook_headers(&headers, &url);
        assert_eq!(body.matches("<h1>").count(), 1, "{url}");
        assert!(
            body.contains(&format!("<h1>{}</h1>", topic.display())),
            "{url}"
        );
        assert!(
            body.contains("href=\"../guideline\""),
            "{url}: no link back"
        );
        assert!(body.contains("OMS immunotherapy is off-label"), "{url}");
        assert!(
            body.contains("version 2026.1"),
            "{url}: no guideline version"
        );
    }
    let (_, _, rituximab) = get_page(&rulebook_url(&app.address, Topic::RituximabFullCourse)).await;
    assert!(
        rituximab.contains("<td>375 mg/m2 per dose</td>"),
        "{rituximab}"
    );
    assert!(rituximab.contains("<code>clinical.rituximab_mg_per_m2</code>"));
    assert!(rituximab.contains("<td>1000 mg</td>"));
    assert!(rituximab.contains("href=\"https://doi.org/10.1212/NXI.0000000000001153\""));
    let (_, _, pulses) = get_page(&rulebook_url(
        &app.address,
        Topic::CyclophosphamideDexamethasonePulses,
    ))
    .await;
    assert!(pulses.contains("<td>750 mg/m2</td>"), "{pulses}");
    assert!(pulses.contains("<td>6 cycles</td>"));
    // Contract v2: the cap is 1200 mg per pulse (local policy); the per-m2 key is a range check.
    assert!(pulses.contains("<td>1200 mg per pulse (local policy)</td>"));
    assert!(pulses.contains("<code>clinical.cyclophosphamide_cap_mg</code>"));
    assert!(pulses.contains("Highest configurable cyclophosphamide dose (range check)"));
    assert!(pulses.contains("<td>8 weeks ago</td>"));
    assert!(pulses.contains("<td>40 mg/day</td>"));
    let (_, _, redose) = get_page(&rulebook_url(&app.address, Topic::RituximabRedose)).await;
    assert!(redose.contains("<td>6 months</td>"), "{redose}");
    assert!(redose.contains("<td>60 days after the course</td>"));
    app.stop().await;
}

#[tokio::test]
async fn a_changed_rituximab_dose_and_guideline_version_show_on_the_pages() {
    let app = spawn_app_with(|settings| {
        settings.clinical.rituximab_mg_per_m2 = Decimal::from(350);
        settings.clinical.guideline_version = "2027.2".to_owned();
    })
    .await;
    let (status, _, page) = get_page(&rulebook_url(&app.address, Topic::RituximabFullCourse)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<td>350 mg/m2 per dose</td>"), "{page}");
    assert!(
        page.contains("Rituximab 350 mg/m2 IV once weekly"),
        "{page}"
    );
    // The evidence table may quote the dose a study used; the proposal shows the configuration.
    let (proposal, _evidence) = page
        .split_once("<section aria-labelledby=\"evidence\">")
        .unwrap();
    assert!(!proposal.contains("375"), "{proposal}");
    assert!(page.contains("version 2027.2"));
    let (_, _, index) = get_page(&format!("{}/guideline", app.address)).await;
    assert!(index.contains("version 2027.2"));
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_topic_is_a_small_html_404_with_a_link_to_the_index() {
    let app = spawn_app().await;
    let url = format!("{}/guideline/not-a-topic", app.address);
    let (status, headers, body) = get_page(&url).await;
    assert_eq!(status, 404);
    assert_rulebook_headers(&headers, &url);
    assert_eq!(body.matches("<h1>").count(), 1);
    assert!(body.contains("href=\"../guideline\""), "{body}");
    assert!(!body.contains("not-a-topic"), "the request is not echoed");
    app.stop().await;
}

#[tokio::test]
async fn the_rulebook_needs_no_token_when_service_calls_do() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = test_settings();
    settings.listen = listener.local_addr().unwrap();
    drop(listener);
    settings.public_base_url = address.clone();
    settings.auth.required = true;
    settings.auth.discovery_requires_auth = true;
    let local = LocalTrust {
        issuer: Arc::new(LocalIssuer::generate().unwrap()),
        serve_tokens: false,
    };
    let application = Application::build_with(settings, Some(local))
        .await
        .unwrap();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async {
        let _ = stopped.await;
    }));

    let discovery = client()
        .get(format!("{address}/cds-services"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 401, "discovery requires a token here");
    let (index, _, _) = get_page(&format!("{address}/guideline")).await;
    assert_eq!(index, 200);
    let (page, _, _) = get_page(&rulebook_url(&address, Topic::DoseCheck)).await;
    assert_eq!(page, 200);

    shutdown.send(()).unwrap();
    task.await.unwrap().unwrap();
}
