//! Where Prometheus scrapes a service: `metrics = "/path"` on the main port or on the port
//! named `metrics`, and a `metrics` port alone at `/metrics`, for a Deployment and a StatefulSet
//! alike. Each scraped service gets a ServiceMonitor on that port and path, and its NetworkPolicy
//! lets Prometheus's namespace in on that port and no other; an unscraped service gets neither.

use serde::Deserialize;
use serde_yaml::Value;

const FILE: &str = r#"
deployment scraped {
  target doks {
    region  = nyc1
    version = "1.36"
    pool default { size = s-4vcpu-8gb, count = 3 }
  }
  stack { prometheus }

  service ledger {
    image   = "registry.example.com/ledger:1.0.0"
    port    = 8080
    metrics = "/internal/metrics"
    volume data { size = 1Gi, mount = "/data" }
  }
  service worker {
    image   = "registry.example.com/worker:1.0.0"
    ports   { http = 8080, metrics = 9102 }
    metrics = "/stats"
  }
  service legacy {
    image = "registry.example.com/legacy:1.0.0"
    ports { http = 8080, metrics = 9090 }
  }
  service quiet {
    image = "registry.example.com/quiet:1.0.0"
    port  = 8080
  }
}
"#;

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text).map(|d| Value::deserialize(d).expect("YAML")).collect()
}

#[test]
fn each_scraped_service_gets_its_port_and_path() {
    let result = deployc::testing::compile_text("scraped.deploy", FILE);
    let tree = result.output.unwrap_or_else(|| panic!("compiles:\n{}", result.rendered));
    let network = documents(tree.get("manifests/15-network.yaml").expect("network policies"));
    for (service, kind, port, number, path) in [
        ("ledger", "StatefulSet", Some("http"), 8080, "/internal/metrics"),
        ("worker", "Deployment", Some("metrics"), 9102, "/stats"),
        ("legacy", "Deployment", Some("metrics"), 9090, "/metrics"),
        ("quiet", "Deployment", None, 0, ""),
    ] {
        let docs = documents(tree.get(&format!("manifests/20-{service}.yaml")).expect("service file"));
        assert!(docs.iter().any(|d| d["kind"].as_str() == Some(kind)), "{service} is a {kind}");
        let monitor = docs.iter().find(|d| d["kind"].as_str() == Some("ServiceMonitor"));
        let policy = network
            .iter()
            .find(|d| d["metadata"]["name"].as_str() == Some(&format!("{service}-allow")))
            .expect("a policy per service");
        let from_monitoring: Vec<u64> = policy["spec"]["ingress"]
            .as_sequence()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|rule| {
                rule["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str()
                    == Some("monitoring")
            })
            .flat_map(|rule| rule["ports"].as_sequence().cloned().unwrap_or_default())
            .filter_map(|p| p["port"].as_u64())
            .collect();
        match port {
            Some(port) => {
                let monitor = monitor.unwrap_or_else(|| panic!("{service} has a ServiceMonitor"));
                assert_eq!(monitor["metadata"]["labels"]["release"].as_str(), Some("prometheus"));
                let endpoint = &monitor["spec"]["endpoints"][0];
                assert_eq!(endpoint["port"].as_str(), Some(port), "{service}");
                assert_eq!(endpoint["path"].as_str(), Some(path), "{service}");
                // The Service has the port the ServiceMonitor names.
                let svc = docs.iter().find(|d| d["kind"].as_str() == Some("Service")).expect("a Service");
                assert!(
                    svc["spec"]["ports"].as_sequence().into_iter().flatten().any(|p| p["name"].as_str() == Some(port)),
                    "{service}'s Service has no port {port}"
                );
                assert_eq!(from_monitoring, vec![number], "{service}: Prometheus is let in on the scraped port only");
            }
            None => {
                assert!(monitor.is_none(), "{service} is not scraped");
                assert!(from_monitoring.is_empty(), "{service}: Prometheus is not let in");
            }
        }
    }
}
