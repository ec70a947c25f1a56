//! The dashboard a localnet serves beside its node API: the page at `/`, its files under
//! `/ui/`, the wasm package under `/pkg/` (with the type browsers need to compile it), nothing
//! outside those folders, and node-shaped 404s for a missing file or when no dashboard is
//! served.

use std::sync::Arc;

use computestream_localnet::{Dashboard, LocalLedger, Localnet};

async fn get(url: &str) -> (u16, String, String) {
    let r = computestream_core::http_client()
        .get(url)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, r.text().await.unwrap())
}

#[tokio::test]
async fn serves_the_page_its_files_and_the_wasm_package() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(site.join("index.html"), "<!doctype html><p>dashboard</p>").unwrap();
    std::fs::write(site.join("app.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "not served").unwrap();
    let dashboard = Dashboard {
        site: site.clone(),
        wasm_pkg: pkg.clone(),
    };
    assert!(dashboard.problem().unwrap().contains("not built"));
    std::fs::write(pkg.join("computestream_wasm_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    assert_eq!(dashboard.problem(), None);

    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_with_dashboard(ledger, "127.0.0.1:0".parse().unwrap(), &dashboard)
        .await
        .unwrap();
    let url = net.url();

    let (status, kind, body) = get(&format!("{url}/")).await;
    assert_eq!((status, kind.as_str()), (200, "text/html"));
    assert!(body.contains("dashboard"));
    let (status, kind, _) = get(&format!("{url}/ui/app.js")).await;
    assert_eq!(status, 200);
    assert!(kind.contains("javascript"), "{kind}");
    let (status, kind, _) = get(&format!("{url}/pkg/computestream_wasm_bg.wasm")).await;
    assert_eq!((status, kind.as_str()), (200, "application/wasm"));
    // The node API is unchanged beside it.
    let (status, _, body) = get(&format!("{url}/v1")).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"chain_id\":4"));
    // Nothing outside the two folders, and a missing file is a node-shaped 404.
    for path in [
        "/ui/../secret.txt",
        "/ui/..%2fsecret.txt",
        "/pkg/..%2f..%2fsecret.txt",
        "/pkg/nope.js",
    ] {
        let (status, kind, body) = get(&format!("{url}{path}")).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(kind, "application/json", "{path}");
        assert!(!body.contains("not served"), "{path}");
    }
    net.stop().await;
}

#[tokio::test]
async fn without_a_dashboard_the_root_is_a_node_404() {
    let net = Localnet::start_local(Arc::new(LocalLedger::in_memory()))
        .await
        .unwrap();
    let (status, kind, _) = get(&format!("{}/", net.url())).await;
    assert_eq!((status, kind.as_str()), (404, "application/json"));
    net.stop().await;
}

#[tokio::test]
async fn answers_the_fungible_asset_metadata_views_a_page_formats_amounts_with() {
    let ledger = Arc::new(LocalLedger::in_memory());
    let usdc = ledger.create_asset("USDC", 6).unwrap();
    let net = Localnet::start_local(ledger).await.unwrap();
    let url = format!("{}/view", net.node_url());
    let view = |function: &str, asset: String| {
        let body = serde_json::json!({
            "function": function,
            "type_arguments": ["0x1::fungible_asset::Metadata"],
            "arguments": [asset],
        });
        let url = url.clone();
        async move { computestream_testkit::post_json(&url, &body).await }
    };
    let usdc = usdc.0.to_hex();
    assert_eq!(
        view("0x1::fungible_asset::decimals", usdc.clone()).await,
        (200, serde_json::json!([6]))
    );
    assert_eq!(
        view("0x1::fungible_asset::symbol", usdc).await,
        (200, serde_json::json!(["USDC"]))
    );
    assert_eq!(
        view("0x1::fungible_asset::decimals", "0xa".into()).await,
        (200, serde_json::json!([8]))
    );
    let (status, body) = view("0x1::fungible_asset::decimals", "0xbad".into()).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no fungible asset")
    );
    net.stop().await;
}
