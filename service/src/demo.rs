//! `oms-cds demo`: the real service on embedded defaults, trusting a key generated at start-up,
//! and a pretend EHR that sends the bundled example requests with signed JWTs and prints the
//! cards as a clinician would read them. Then it keeps serving until Ctrl-C.
//!
//! Security: the demo's private key lives only in this process. `GET /demo/token` (used by
//! `oms-cds token`) exists only in demo mode, where the service listens on loopback.

use std::sync::Arc;

use anyhow::Context;
use serde_json::{json, Value};

use crate::auth::LocalIssuer;
use crate::catalogue::{service_id_for, ORDER_SELECT_ID};
use crate::config::Settings;
use crate::example_dates::{shift_dates, EXAMPLES_DATE};
use crate::startup::{shutdown_signal, Application};
use crate::state::LocalTrust;

/// The example requests the demo sends, written for `EXAMPLES_DATE` and moved to today.
const DEMO_REQUESTS: [(&str, &str); 4] = [
    (
        "order-select: rituximab-naive child with a neuroblastoma",
        include_str!("../../examples/order-select-rituximab-naive-with-neuroblastoma.json"),
    ),
    (
        "order-select: relapse after a full rituximab course",
        include_str!("../../examples/order-select-rituximab-after-full-course.json"),
    ),
    (
        "order-sign: rituximab-refractory child, cyclophosphamide ordered",
        include_str!("../../examples/order-sign-cyclophosphamide-refractory-child.json"),
    ),
    (
        "order-select: an unrelated order (the service stays silent)",
        include_str!("../../examples/order-select-unrelated-order.json"),
    ),
];

/// Runs the demo on `port` until Ctrl-C.
pub async fn run(port: u16) -> anyhow::Result<()> {
    let issuer = Arc::new(LocalIssuer::generate().context("cannot generate the demo key")?);
    let mut settings = Settings::default();
    anyhow::ensure!(
        port != 0,
        "the demo needs a fixed port: its tokens name the URL they are for"
    );
    settings.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    settings.public_base_url = format!("http://127.0.0.1:{port}");
    let local = LocalTrust {
        issuer: Arc::clone(&issuer),
        serve_tokens: true,
    };
    let application = Application::build_with(settings, Some(local)).await?;
    let address = application.local_addr()?;
    let base = format!("http://{address}");
    let server = tokio::spawn(application.run_until(shutdown_signal()));

    println!("oms-cds demo: the service is listening on {base} and trusts one issuer,");
    println!(
        "`{}`, whose ES384 key was generated at start-up and exists only in memory.\n",
        issuer.issuer()
    );
    let client = reqwest::Client::new();
    let today = time::OffsetDateTime::now_utc().date();
    // The first card with a suggestion, and the service URL that issued it (its feedback URL).
    let mut first_card: Option<(String, (String, String))> = None;
    for (title, text) in DEMO_REQUESTS {
        let mut request: Value =
            serde_json::from_str(text).context("a bundled example is not JSON")?;
        shift_dates(&mut request, EXAMPLES_DATE, today);
        let hook = request["hook"]
            .as_str()
            .and_then(fhir_mapping::Hook::from_code)
            .context("a bundled example names no hook this service answers")?;
        let service_url = format!("{base}/cds-services/{}", service_id_for(hook));
        let token = issuer.mint(&service_url)?;
        let response = client
            .post(&service_url)
            .bearer_auth(token)
            .json(&request)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .context("the service answered with no JSON")?;
        println!("━━━ {title} ━━━ HTTP {status}");
        print!("{}", render_cards(&body));
        if first_card.is_none() {
            first_card = first_suggestion(&body).map(|card| (service_url.clone(), card));
        }
    }

    if let Some((service_url, (card, suggestion))) = first_card {
        let feedback_url = format!("{service_url}/feedback");
        let body = json!({"feedback": [{"card": card, "outcome": "accepted",
            "acceptedSuggestions": [{"id": suggestion}],
            "outcomeTimestamp": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?}]});
        let response = client
            .post(&feedback_url)
            .bearer_auth(issuer.mint(&feedback_url)?)
            .json(&body)
            .send()
            .await?;
        println!(
            "━━━ feedback: the clinician accepted the first suggestion ━━━ HTTP {}\n",
            response.status()
        );
    }

    let service_url = format!("{base}/cds-services/{ORDER_SELECT_ID}");
    let token = issuer.mint(&service_url)?;
    println!("Try it yourself (the token is valid for 5 minutes and for one call: jti replay is refused):\n");
    println!("  curl -s -X POST {service_url} \\\n    -H 'Content-Type: application/json' \\\n    -H 'Authorization: Bearer {token}' \\\n    --data @examples/order-select-unrelated-order.json\n");
    println!("A fresh token for any endpoint:  oms-cds token --aud {service_url} --demo {base}");
    println!("Discovery needs no token:        curl -s {base}/cds-services\n");
    println!("Serving until Ctrl-C.");
    server.await.context("the server task failed")?
}

/// The accepted-suggestion target for the demo's feedback call: the first card with one.
fn first_suggestion(response: &Value) -> Option<(String, String)> {
    response["cards"].as_array()?.iter().find_map(|card| {
        let suggestion = card["suggestions"][0]["uuid"].as_str()?;
        Some((card["uuid"].as_str()?.to_owned(), suggestion.to_owned()))
    })
}

/// Cards as a clinician would scan them: topic, indicator, summary, the dose working,
/// suggestions and their actions.
pub fn render_cards(response: &Value) -> String {
    let cards = response["cards"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if cards.is_empty() {
        return "  (no cards: nothing to say for this order)\n\n".into();
    }
    let mut out = String::new();
    for card in cards {
        let indicator = card["indicator"].as_str().unwrap_or_default();
        let topic = card["source"]["topic"]["code"].as_str().unwrap_or_default();
        out.push_str(&format!(
            "  [{indicator:<7}] {topic}\n    {}\n",
            card["summary"].as_str().unwrap_or_default()
        ));
        for line in working_lines(card["detail"].as_str().unwrap_or_default()) {
            out.push_str(&format!("      {line}\n"));
        }
        for suggestion in card["suggestions"].as_array().into_iter().flatten() {
            let star = if suggestion["isRecommended"] == true {
                " (recommended)"
            } else {
                ""
            };
            out.push_str(&format!(
                "    ▸ {}{star}\n",
                suggestion["label"].as_str().unwrap_or_default()
            ));
            for action in suggestion["actions"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "        {}: {}\n",
                    action["type"].as_str().unwrap_or_default(),
                    action["description"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    out.push('\n');
    out
}

/// The list items of the detail's "Working" section.
fn working_lines(detail: &str) -> Vec<&str> {
    detail
        .split("**Working**")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .map(str::trim)
                .take_while(|line| !line.starts_with("**"))
                .filter_map(|line| line.strip_prefix("- "))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_shows_topic_summary_working_and_suggestions() {
        let response = json!({"cards": [{
            "indicator": "info", "summary": "Give one more dose",
            "source": {"topic": {"code": "rituximab-redose"}},
            "detail": "**Recommendation**\n\nx\n\n**Working**\n\n- 375 mg/m2 x 0.67 m2 = 251.25 mg, rounded to 250 mg\n\n**Evidence**\n\n- y",
            "suggestions": [{"label": "Order rituximab", "isRecommended": true,
                             "actions": [{"type": "update", "description": "Update the draft"}]}]
        }]});
        let text = render_cards(&response);
        assert!(text.contains("rituximab-redose"), "{text}");
        assert!(text.contains("rounded to 250 mg"), "{text}");
        assert!(!text.contains("- y"), "{text}");
        assert!(text.contains("▸ Order rituximab (recommended)"), "{text}");
        assert!(text.contains("update: Update the draft"), "{text}");
        assert!(render_cards(&json!({"cards": []})).contains("no cards"));
    }
}
