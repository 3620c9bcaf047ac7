//! Starting the service (in process, or as the real binary) and talking to it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use oms_cds::config::Settings;
use oms_cds::startup::Application;
use serde_json::Value;

/// The listed service id for order-select.
pub const ORDER_SELECT_ID: &str = "oms-relapse-order-select";

/// The listed service id for order-sign.
pub const ORDER_SIGN_ID: &str = "oms-relapse-order-sign";

/// The former id for both hooks: unlisted, still answered for existing registrations.
pub const LEGACY_ALIAS_ID: &str = "oms-relapse-treatment";

/// The listed service id that answers the hook named in `body`.
pub fn service_id_for(body: &Value) -> &'static str {
    match body["hook"].as_str() {
        Some("order-select") => ORDER_SELECT_ID,
        _ => ORDER_SIGN_ID,
    }
}

/// A service started in this process on a free port with a fresh SQLite database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// A client with no redirects and a timeout.
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A fresh temporary directory.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oms-cds-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Settings for tests: port 0, a fresh SQLite file, logs muted.
pub fn test_settings() -> Settings {
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Settings::default()
    };
    settings.storage.database_url = format!("sqlite://{}", temp_dir().join("test.db").display());
    settings.auth.required = false;
    settings
}

/// Starts the service with test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service with test settings changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings();
    configure(&mut settings);
    let application = Application::build(settings).await.unwrap();
    let address = format!("http://{}", application.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: client(),
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// An HTTP client for tests.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The body of a `GET`, as text (a metrics scrape, a probe).
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

impl TestApp {
    /// `GET` a path of the service.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// The `/metrics` scrape.
    pub async fn metrics(&self) -> String {
        get_text(&self.client, &format!("{}/metrics", self.address)).await
    }

    /// `GET /cds-services`.
    pub async fn get_discovery(&self) -> reqwest::Response {
        self.client
            .get(format!("{}/cds-services", self.address))
            .send()
            .await
            .unwrap()
    }

    /// `POST /cds-services/{id}` with a JSON body, to the id of the body's hook.
    pub async fn post_hook(&self, body: &Value) -> reqwest::Response {
        self.post_json(&format!("/cds-services/{}", service_id_for(body)), body)
            .await
    }

    /// `POST /cds-services/{ORDER_SIGN_ID}/feedback` with a JSON body.
    pub async fn post_feedback(&self, body: &Value) -> reqwest::Response {
        self.post_json(&format!("/cds-services/{ORDER_SIGN_ID}/feedback"), body)
            .await
    }

    /// POST a JSON body to a path.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Stops the service and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A request file from the repository's `examples/`.
pub fn example(name: &str) -> Value {
    let path = workspace_root().join("examples").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A minimal valid order-sign request whose prefetch is complete (no OMS: no cards).
pub fn minimal_order_sign() -> Value {
    serde_json::json!({
        "hook": "order-sign",
        "hookInstance": uuid::Uuid::new_v4().to_string(),
        "context": {
            "userId": "Practitioner/prac-1",
            "patientId": "pat-1",
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": []}
        },
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "pat-1", "birthDate": "2019-05-01"},
            "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []}
        }
    })
}

/// Asserts that `body` is an OperationOutcome with an error issue and a non-empty message.
pub fn assert_operation_outcome(body: &Value) {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["severity"], "error", "{body}");
    let message = body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
    assert!(
        !message.is_empty(),
        "the OperationOutcome must say what to fix: {body}"
    );
}

/// Asserts the spec's rule: no `null`, `""`, `[]` or `{}` anywhere, except `cards`/`services`.
pub fn assert_no_empty_fields(value: &Value, path: &str) {
    match value {
        Value::Null => panic!("{path} is null"),
        Value::String(s) => assert!(!s.is_empty(), "{path} is an empty string"),
        Value::Array(items) => {
            let exempt = path.ends_with(".cards") || path.ends_with(".services");
            assert!(exempt || !items.is_empty(), "{path} is an empty array");
            for (i, item) in items.iter().enumerate() {
                assert_no_empty_fields(item, &format!("{path}[{i}]"));
            }
        }
        Value::Object(map) => {
            assert!(!map.is_empty(), "{path} is an empty object");
            for (key, item) in map {
                assert_no_empty_fields(item, &format!("{path}.{key}"));
            }
        }
        Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The `oms-cds` binary built by this workspace (cargo builds it for the service's integration
/// tests; it sits two levels above this test executable).
pub fn binary_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(format!("oms-cds{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not found: run `cargo test --workspace`",
        path.display()
    );
    path
}

/// The real binary running `serve`, on a free port.
pub struct RunningBinary {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
}

/// Starts `oms-cds serve` with the given environment (listening on a free port) and waits until
/// it answers `/healthz`.
pub async fn spawn_binary(env: &[(&str, &str)]) -> RunningBinary {
    let port = free_port();
    let mut command = Command::new(binary_path());
    command
        .arg("serve")
        .env_clear()
        .env("OMS_CDS_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "OMS_CDS_PUBLIC_BASE_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("OMS_CDS_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().unwrap();
    let running = RunningBinary {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    wait_until_healthy(&running.address).await;
    running
}

async fn wait_until_healthy(address: &str) {
    let client = client();
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{address}/healthz")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service at {address} did not become healthy");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RunningBinary {
    /// Sends SIGTERM and waits for the process to exit; returns its exit status and stdout.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .unwrap();
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

impl RunningBinary {
    /// Waits for a process that was already signalled to exit; returns its status and stdout.
    pub fn terminate_after_signal(mut self) -> (std::process::ExitStatus, String) {
        let output = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .unwrap();
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// What a stopped binary left behind: its exit status and everything it wrote.
pub struct StoppedBinary {
    /// The exit status.
    pub status: std::process::ExitStatus,
    /// Standard output: the log lines.
    pub stdout: String,
    /// Standard error: nothing while the service runs (every message is a log line).
    pub stderr: String,
}

impl RunningBinary {
    /// Sends SIGTERM and waits for the process to exit; returns its status, stdout and stderr.
    pub fn stop(mut self) -> StoppedBinary {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .unwrap();
        StoppedBinary {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts `body` as JSON to `url` with `token` as the bearer token.
pub async fn post_with_bearer(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    http.post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The governance summary of the service at `address`, read with `admin_token`.
pub async fn feedback_summary(http: &reqwest::Client, address: &str, admin_token: &str) -> Value {
    http.get(format!("{address}/admin/feedback/summary"))
        .bearer_auth(admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
