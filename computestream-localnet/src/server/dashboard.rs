//! The browser dashboard a localnet may serve beside its node API: the page at `/`, its files
//! under `/ui/`, and the wasm package (`bindings-wasm/pkg`, built by
//! `scripts/build-bindings wasm`) under `/pkg/`. The files are read from disk on each request:
//! nothing is embedded, so a binary built before the package still serves it once it is built.

use std::path::{Path, PathBuf};

use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

/// Where the dashboard's files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    /// The page's folder (`index.html`, its scripts and styles).
    pub site: PathBuf,
    /// The built wasm package (`computestream_wasm.js` and its `.wasm`).
    pub wasm_pkg: PathBuf,
}

impl Dashboard {
    /// The source tree's: `dashboard/` and `bindings-wasm/pkg/` of the checkout this crate was
    /// built from, which is where `cargo run` from a clone finds them.
    pub fn from_source_tree() -> Dashboard {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let root = root.canonicalize().unwrap_or(root);
        Dashboard {
            site: root.join("dashboard"),
            wasm_pkg: root.join("bindings-wasm").join("pkg"),
        }
    }

    /// What keeps the page from working, if anything: a missing folder, or a wasm package
    /// that has not been built. The page shows the same message when it cannot load the
    /// package.
    pub fn problem(&self) -> Option<String> {
        if !self.site.join("index.html").is_file() {
            return Some(format!(
                "no dashboard at {} (pass --dashboard DIR)",
                self.site.display()
            ));
        }
        if !self.wasm_pkg.join("computestream_wasm_bg.wasm").is_file() {
            return Some(format!(
                "the wasm package is not built at {}: run scripts/build-bindings wasm (the page \
                 says so until then)",
                self.wasm_pkg.display()
            ));
        }
        None
    }

    /// The routes: `/`, `/ui/…`, `/pkg/…`.
    pub(super) fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route_service("/", ServeFile::new(self.site.join("index.html")))
            .route_service("/index.html", ServeFile::new(self.site.join("index.html")))
            .nest_service("/ui", ServeDir::new(&self.site))
            .nest_service("/pkg", ServeDir::new(&self.wasm_pkg))
    }
}
