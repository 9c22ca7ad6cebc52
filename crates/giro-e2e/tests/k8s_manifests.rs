//! The Kubernetes manifests in `ops/k8s/`: valid for the Kubernetes API as an independent
//! validator reads them (`kubernetes-validate` from PyPI, strict mode, the schemas it ships; `ops/dev
//! test` installs it), and true to the binary: one Deployment per component and provider
//! instance, running the image the Dockerfile builds as its non-root user, with probes on the
//! ops endpoints each component really serves on the address its manifest sets, resources, and
//! only variables that component reads, secrets from Secrets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;

/// The Kubernetes version the manifests are checked against (one the validator ships).
const KUBERNETES: &str = "1.31.0";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn k8s() -> PathBuf {
    repo().join("ops/k8s")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// `kubernetes-validate` as `ops/dev test` installs it, or where `GIRO_K8S_VALIDATE` says.
fn validator() -> PathBuf {
    let path = std::env::var_os("GIRO_K8S_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/giro-tools/k8s/bin/kubernetes-validate"));
    assert!(
        path.is_file(),
        "kubernetes-validate is not installed at {}: run ops/dev test (it installs the pinned \
         version into /opt/giro-tools/k8s), or set GIRO_K8S_VALIDATE",
        path.display()
    );
    path
}

/// The manifests: every YAML file of `ops/k8s` but the kustomization.
fn manifest_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(k8s())
        .expect("ops/k8s")
        .map(|e| e.expect("an entry of ops/k8s").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "manifests in ops/k8s: {files:?}");
    files
}

/// Every document of `files`, read by the YAML parser the validator itself uses (PyYAML, in its
/// venv), as JSON.
fn documents(files: &[PathBuf]) -> Vec<Value> {
    let python = validator().with_file_name("python3");
    let out = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml\n\
             docs = [d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d is not None]\n\
             json.dump(docs, sys.stdout)",
        ])
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (run ops/dev test)", python.display()));
    assert!(
        out.status.success(),
        "reading the manifests: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the manifests as JSON")
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

fn name(doc: &Value) -> &str {
    str_of(&doc["metadata"]["name"], "metadata.name")
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// A Deployment's one container.
fn container(deployment: &Value) -> &Value {
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no containers", name(deployment)));
    assert_eq!(containers.len(), 1, "{}: one container", name(deployment));
    &containers[0]
}

/// The container's `args`: the `giro` subcommand and its flags.
fn args(deployment: &Value) -> Vec<&str> {
    container(deployment)["args"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no args", name(deployment)))
        .iter()
        .map(|a| str_of(a, "an argument"))
        .collect()
}

/// The components `giro` runs, with the command-line struct whose flags (and environment
/// fallbacks) each reads, and the variable of the address its HTTP endpoints listen on.
struct Component {
    command: &'static str,
    args_struct: &'static str,
    listen: &'static str,
}

const COMPONENTS: [Component; 5] = [
    Component {
        command: "intake",
        args_struct: "IntakeArgs",
        listen: "GIRO_METRICS_ADDR",
    },
    Component {
        command: "executor",
        args_struct: "ExecutorArgs",
        listen: "GIRO_METRICS_ADDR",
    },
    Component {
        command: "ingress",
        args_struct: "IngressArgs",
        listen: "GIRO_INGRESS_ADDR",
    },
    Component {
        command: "projection",
        args_struct: "ProjectionArgs",
        listen: "GIRO_PROJECTION_LISTEN",
    },
    Component {
        command: "notify",
        args_struct: "NotifyArgs",
        listen: "GIRO_METRICS_ADDR",
    },
];

fn component(deployment: &Value) -> &'static Component {
    let command = args(deployment)[0];
    COMPONENTS
        .iter()
        .find(|c| c.command == command)
        .unwrap_or_else(|| panic!("{}: giro {command} is no component", name(deployment)))
}

/// The command-line sources: `giro`'s argument structs and the projection's.
fn cli_sources() -> String {
    read("crates/giro/src/cli/args.rs") + &read("crates/giro-projection/src/args.rs")
}

/// The environment fallbacks (`env = "…"`) of the clap struct `name` in `sources`, with those of
/// the structs it flattens.
fn clap_env(sources: &str, name: &str) -> BTreeSet<String> {
    let head = format!("pub struct {name} {{");
    let start = sources
        .find(&head)
        .unwrap_or_else(|| panic!("no struct {name} in the command line's sources"));
    let body = &sources[start + head.len()..];
    let body = &body[..body.find("\n}").expect("the struct's end")];
    let mut vars: BTreeSet<String> = body
        .split("env = \"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("a closing quote")].to_string())
        .collect();
    let mut lines = body.lines();
    while let Some(line) = lines.next() {
        if line.contains("#[command(flatten)]") {
            let field = lines.next().expect("a flattened field");
            let ty = field
                .rsplit(':')
                .next()
                .expect("a field type")
                .trim()
                .trim_end_matches(',');
            vars.extend(clap_env(sources, ty.rsplit("::").next().unwrap_or(ty)));
        }
    }
    vars
}

/// The code of the `.rs` files under `dir` (relative to the repository), tests left out.
fn code_under(dir: &str) -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push_str(text.split("#[cfg(test)]").next().unwrap_or(&text));
            }
        }
    }
    let mut out = String::new();
    walk(&repo().join(dir), &mut out);
    assert!(!out.is_empty(), "no code under {dir}");
    out
}

/// A container's variables by name: `{"value": …}` or `{"valueFrom": …}`.
fn env(deployment: &Value) -> BTreeMap<String, Value> {
    container(deployment)["env"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no env", name(deployment)))
        .iter()
        .map(|e| (str_of(&e["name"], "an env name").to_string(), e.clone()))
        .collect()
}

#[test]
fn kubernetes_validate_accepts_every_manifest_in_strict_mode() {
    let validator = validator();
    let validate = |files: &[PathBuf]| {
        let out = Command::new(&validator)
            .args(["--strict", "--kubernetes-version", KUBERNETES])
            .args(files)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", validator.display()));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), said)
    };

    // The validator in strict mode refuses what the API would not know, here a misspelt field.
    let wrong = std::env::temp_dir().join(format!("giro-k8s-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(
        &wrong,
        read("ops/k8s/intake.yaml").replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"),
    )
    .unwrap();
    let (ok, said) = validate(std::slice::from_ref(&wrong));
    let _ = std::fs::remove_file(&wrong);
    assert!(
        !ok && said.contains("readOnlyRootFileSystem"),
        "strict mode let a misspelt field through:\n{said}"
    );

    let files = manifest_files();
    let (ok, said) = validate(&files);
    assert!(ok, "kubernetes-validate rejects ops/k8s:\n{said}");
    // A kind it has no schema for is only a warning: every document must have been checked.
    assert!(!said.contains("WARN"), "{said}");
    let documents = documents(&files).len();
    assert_eq!(
        said.matches(" passed for resource ").count(),
        documents,
        "every one of the {documents} documents validated:\n{said}"
    );
}

#[test]
fn the_kustomization_lists_every_manifest() {
    let kustomization = read("ops/k8s/kustomization.yaml");
    let listed: BTreeSet<String> = kustomization
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter(|l| l.ends_with(".yaml"))
        .map(str::to_string)
        .collect();
    let files: BTreeSet<String> = manifest_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(listed, files, "ops/k8s/kustomization.yaml resources");
}

#[test]
fn one_deployment_per_component_and_provider_instance_from_the_dockerfile_image() {
    let docs = documents(&manifest_files());
    let deployments = of_kind(&docs, "Deployment");
    let registry =
        giro_providers::Registry::from_settings(&giro_providers::Settings::isolated()).unwrap();
    let mut expected: BTreeSet<String> = registry
        .instances()
        .iter()
        .map(|i| format!("executor --provider {}", i.id()))
        .collect();
    expected.insert(format!(
        "executor --provider {}",
        giro_domain::beneficiary::ACCOUNTS_PROVIDER
    ));
    for c in COMPONENTS.iter().filter(|c| c.command != "executor") {
        expected.insert(c.command.to_string());
    }
    let run: Vec<String> = deployments.iter().map(|d| args(d).join(" ")).collect();
    assert_eq!(
        run.iter().cloned().collect::<BTreeSet<_>>(),
        expected,
        "what the Deployments run"
    );
    assert_eq!(run.len(), expected.len(), "one Deployment each: {run:?}");

    // The image the Dockerfile builds: giro as its entry point, run as the user it creates.
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("ENTRYPOINT [\"giro\"]"), "{dockerfile}");
    let uid: i64 = dockerfile
        .split("--uid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
        .expect("the Dockerfile creates its user with --uid");
    let cli = read("crates/giro/src/cli/mod.rs");
    for deployment in deployments {
        let what = name(deployment);
        let c = component(deployment);
        assert!(
            cli.contains(&format!("({})", c.args_struct))
                || cli.contains(&format!("::{}", c.args_struct)),
            "giro {} no longer takes {}",
            c.command,
            c.args_struct
        );
        let container = container(deployment);
        let image = str_of(&container["image"], "image");
        assert!(image.starts_with("giro:"), "{what}: image {image}");
        assert!(
            container["command"].is_null(),
            "{what}: the entry point is giro"
        );
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{what}");
        assert_eq!(pod["securityContext"]["runAsUser"], uid, "{what}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{what}");
        let security = &container["securityContext"];
        assert_eq!(security["readOnlyRootFilesystem"], true, "{what}");
        assert_eq!(security["allowPrivilegeEscalation"], false, "{what}");
        assert_eq!(security["capabilities"]["drop"][0], "ALL", "{what}");
        for bound in ["requests", "limits"] {
            for resource in ["cpu", "memory"] {
                assert!(
                    container["resources"][bound][resource].is_string(),
                    "{what}: no resources.{bound}.{resource}"
                );
            }
        }
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        let labels = &deployment["spec"]["template"]["metadata"]["labels"];
        for (key, value) in selector.as_object().expect("matchLabels") {
            assert_eq!(&labels[key], value, "{what}: the selector selects its pods");
        }
    }
}

#[test]
fn every_variable_set_is_one_the_component_reads_and_secrets_come_from_secrets() {
    let docs = documents(&manifest_files());
    let cli = cli_sources();
    let providers = code_under("crates/giro-providers/src");
    let provider_settings = read("crates/giro-providers/src/settings.rs");
    let telemetry = code_under("crates/giro-telemetry/src");
    let registry =
        giro_providers::Registry::from_settings(&giro_providers::Settings::isolated()).unwrap();
    let config_maps: BTreeMap<&str, &Value> = of_kind(&docs, "ConfigMap")
        .into_iter()
        .map(|m| (name(m), &m["data"]))
        .collect();
    let quoted = |code: &str, var: &str| code.contains(&format!("\"{var}\""));
    for deployment in of_kind(&docs, "Deployment") {
        let what = name(deployment);
        let c = component(deployment);
        let flags = clap_env(&cli, c.args_struct);
        assert!(flags.contains("NATS_URL"), "{}: {flags:?}", c.args_struct);
        // The provider settings this component reads: the registry's (every adapter) for the
        // intake and the ingress; an executor's only those of its own provider's adapter.
        let adapter_code = match c.command {
            "executor" => {
                let id = args(deployment)[2];
                let instance = if id == giro_domain::beneficiary::ACCOUNTS_PROVIDER {
                    registry.instances().iter().find(|i| i.accounts.is_some())
                } else {
                    registry.instance(id)
                }
                .unwrap_or_else(|| panic!("{what}: no provider instance {id}"));
                Some(
                    code_under(&format!("crates/giro-providers/src/{}", instance.adapter))
                        + &provider_settings,
                )
            }
            "projection" => None,
            // Its subscriptions file and retry policy (crates/giro-notify/src/config.rs).
            "notify" => Some(code_under("crates/giro-notify/src")),
            _ => Some(providers.clone()),
        };
        for (var, entry) in env(deployment) {
            let read_by_provider = adapter_code.as_deref().is_some_and(|c| quoted(c, &var));
            assert!(
                flags.contains(&var) || quoted(&telemetry, &var) || read_by_provider,
                "{what} sets {var}, which giro {} does not read",
                c.command
            );
            let secret = var == "NATS_URL"
                || var == "DATABASE_URL"
                || providers.contains(&format!("secret(\"{var}\""));
            let from = &entry["valueFrom"];
            if secret {
                assert!(
                    entry["value"].is_null() && from["secretKeyRef"].is_object(),
                    "{what}: {var} holds a credential and must come from a Secret: {entry}"
                );
            }
            for reference in ["secretKeyRef", "configMapKeyRef"] {
                if from[reference].is_object() {
                    assert_eq!(
                        from[reference]["key"], var,
                        "{what}: {var} is read from the key of its own name"
                    );
                }
            }
            if let Some(map) = from["configMapKeyRef"]["name"].as_str() {
                let data = config_maps.get(map).unwrap_or_else(|| {
                    panic!("{what}: {var} from ConfigMap {map}, not in ops/k8s")
                });
                assert!(data[&var].is_string(), "ConfigMap {map} has no {var}");
            }
        }
    }
}

/// The port (number) a container exposes under `port`, a name or a number.
fn container_port(container: &Value, port: &Value) -> u16 {
    let found = container["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == *port || p["containerPort"] == *port)
        .unwrap_or_else(|| panic!("no container port {port}"));
    found["containerPort"].as_u64().expect("containerPort") as u16
}

#[test]
fn probes_and_services_reach_the_address_each_component_listens_on() {
    let docs = documents(&manifest_files());
    let cli = cli_sources();
    let deployments = of_kind(&docs, "Deployment");
    for deployment in &deployments {
        let what = name(deployment);
        let c = component(deployment);
        assert!(
            clap_env(&cli, c.args_struct).contains(c.listen),
            "giro {} no longer listens on {}",
            c.command,
            c.listen
        );
        let env = env(deployment);
        let listen: std::net::SocketAddr = env
            .get(c.listen)
            .and_then(|e| e["value"].as_str())
            .unwrap_or_else(|| panic!("{what}: no {} value", c.listen))
            .parse()
            .unwrap_or_else(|e| panic!("{what}: {}: {e}", c.listen));
        assert!(
            listen.ip().is_unspecified(),
            "{what}: {listen} cannot be reached from outside the pod (the default is loopback)"
        );
        let container = container(deployment);
        for probe in ["livenessProbe", "readinessProbe"] {
            let get = &container[probe]["httpGet"];
            assert!(get.is_object(), "{what}: no {probe}.httpGet");
            assert_eq!(
                container_port(container, &get["port"]),
                listen.port(),
                "{what}: {probe} asks another port than {} = {listen}",
                c.listen
            );
        }
        let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
        assert_eq!(
            annotations["prometheus.io/port"],
            listen.port().to_string(),
            "{what}: scraped where /metrics is"
        );
    }
    let services = of_kind(&docs, "Service");
    let mut served = BTreeSet::new();
    for service in services {
        let selector = service["spec"]["selector"].as_object().expect("selector");
        let selected: Vec<&&Value> = deployments
            .iter()
            .filter(|d| {
                let labels = &d["spec"]["template"]["metadata"]["labels"];
                selector.iter().all(|(k, v)| &labels[k] == v)
            })
            .collect();
        assert_eq!(
            selected.len(),
            1,
            "Service {} selects one Deployment",
            name(service)
        );
        served.insert(component(selected[0]).command);
        for port in service["spec"]["ports"].as_array().expect("ports") {
            container_port(container(selected[0]), &port["targetPort"]);
        }
    }
    assert_eq!(
        served,
        BTreeSet::from(["ingress", "projection"]),
        "Services for the webhooks and the query API"
    );
}

/// GET `url`: its status.
async fn status(http: &reqwest::Client, url: &str) -> u16 {
    http.get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probed_paths_answer_on_each_components_server() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let docs = documents(&manifest_files());
    let log = giro_eventlog::test_support::TestLog::new().await;
    // What each component serves its probes on: the intake's and the executors' ops server, the
    // ingress's and the projection's own servers, each started as `giro` starts it.
    let client = log.client.clone();
    let ops = giro_telemetry::ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(move || match client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(format!("NATS is {state}")),
        }),
    )
    .await
    .unwrap();
    let registry =
        giro_providers::Registry::from_settings(&giro_providers::Settings::isolated()).unwrap();
    let ingress = giro_ingress::start(
        log.log.clone(),
        giro_ingress::IngressConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            log.config.prefix.clone(),
            Arc::new(registry),
        ),
    )
    .await
    .unwrap();
    let schema = giro_projection::test_support::TestSchema::new();
    let projection = giro_projection::start(
        giro_projection::ProjectionConfig {
            database_url: schema.database_url.clone(),
            schema: schema.name.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            log: log.config.clone(),
            ..giro_projection::ProjectionConfig::default()
        },
        log.client.clone(),
    )
    .await
    .expect("projection starts");
    let base = |command: &str| match command {
        "intake" | "executor" | "notify" => format!("http://{ops}"),
        "ingress" => ingress.url(),
        "projection" => format!("http://{}", projection.local_addr()),
        other => panic!("no server for giro {other}"),
    };
    let http = reqwest::Client::new();
    let mut asked = 0;
    for deployment in of_kind(&docs, "Deployment") {
        let c = component(deployment);
        let container = container(deployment);
        for probe in ["livenessProbe", "readinessProbe"] {
            let path = str_of(&container[probe]["httpGet"]["path"], "probe path");
            let url = format!("{}{path}", base(c.command));
            assert_eq!(
                status(&http, &url).await,
                200,
                "{}: {probe} {path} on giro {}",
                name(deployment),
                c.command
            );
            asked += 1;
        }
        let metrics = format!("{}/metrics", base(c.command));
        assert_eq!(status(&http, &metrics).await, 200, "{metrics}");
    }
    assert!(asked >= 2 * COMPONENTS.len(), "{asked} probes");
    // A path no component serves is not mistaken for a probe that works.
    for command in ["intake", "ingress", "projection"] {
        let url = format!("{}/health", base(command));
        assert_eq!(status(&http, &url).await, 404, "{url}");
    }
    ingress.stop().await;
    projection.stop().await;
}
