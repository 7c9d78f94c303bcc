//! The module layering check: inside a library crate, modules must not import each other in
//! circles, so that each crate reads as layers (the crate-level table is in `layering.rs`).
//!
//! Module A depends on module B when A's code outside `#[cfg(test)]` writes a path into B:
//! `crate::b::…`, `super::…`, `self::…` or a child module's name, in a `use`, in code, or in a
//! macro's arguments. A path to an item some module re-exports (`pub use`, such as `crate::Source`
//! through lib.rs) depends on the module defining it. The crate root is no layer: it declares
//! and re-exports. Doc comments are not code, so their links do not count.
//! `workspace_modules_import_no_circles` runs the check under `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// The re-exports followed from one path: more would be a re-export loop.
const MAX_REEXPORT_HOPS: usize = 16;

/// A module's path inside its crate; empty for the crate root.
type ModPath = Vec<String>;

/// Every circle in the library crates under `crates/`, one line each.
pub(crate) fn violations(root: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for (krate, src) in library_crates(root)? {
        let modules = load_crate(&src)?;
        let edges = dependencies(&modules);
        for circle in circles(&edges) {
            found.push(format!(
                "{krate}: modules {} import each other in a circle ({}): move what they share \
                 into a module below them",
                circle.join(", "),
                evidence(&edges, &circle)
            ));
        }
    }
    Ok(found)
}

/// One path written for each dependency inside `circle`: `a -> crate::b::X`.
fn evidence(edges: &Edges<'_>, circle: &[String]) -> String {
    let mut lines = Vec::new();
    for (from, targets) in edges {
        if !circle.contains(&from.join("::")) {
            continue;
        }
        for (to, written) in targets {
            if circle.contains(&to.join("::")) {
                lines.push(format!("{} -> crate::{}", from.join("::"), written.join("::")));
            }
        }
    }
    lines.join("; ")
}

/// (crate name, its `src` directory) of every crate under `crates/` with a lib.rs, by name.
fn library_crates(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let dir = root.join("crates");
    let entries = fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))?;
    let mut crates = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("could not list {}", dir.display()))?.path();
        if path.join("src/lib.rs").is_file() {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            crates.push((name, path.join("src")));
        }
    }
    crates.sort();
    Ok(crates)
}

/// What the check knows of one module.
#[derive(Debug, Default)]
struct Module {
    /// Its `mod` declarations outside `#[cfg(test)]`.
    children: BTreeSet<String>,
    /// Each name it re-exports, and the absolute path that name stands for.
    reexports: BTreeMap<String, ModPath>,
    /// Every path into the crate its non-test code writes, made absolute.
    paths: Vec<ModPath>,
}

impl Module {
    fn of(path: &[String], items: &[syn::Item]) -> Self {
        let mut module = Self { children: declared_children(items), ..Self::default() };
        let mut collector = Collector {
            scope: path.to_vec(),
            children: module.children.clone(),
            inline: 0,
            module: &mut module,
        };
        for item in items {
            collector.visit_item(item);
        }
        module
    }
}

/// The modules of the crate whose root is `src/lib.rs`, found through its `mod` declarations.
fn load_crate(src: &Path) -> Result<BTreeMap<ModPath, Module>> {
    let mut modules = BTreeMap::new();
    load(&mut modules, &[], &src.join("lib.rs"), src)?;
    Ok(modules)
}

/// Loads the module at `path` from `file`, and its children from `child_dir`.
fn load(
    modules: &mut BTreeMap<ModPath, Module>,
    path: &[String],
    file: &Path,
    child_dir: &Path,
) -> Result<()> {
    let text = fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))?;
    let ast = syn::parse_file(&text).with_context(|| format!("{} does not parse", file.display()))?;
    let module = Module::of(path, &ast.items);
    let children = module.children.clone();
    modules.insert(path.to_vec(), module);
    for name in children {
        let candidates = [child_dir.join(format!("{name}.rs")), child_dir.join(&name).join("mod.rs")];
        let found = candidates.iter().find(|candidate| candidate.is_file()).with_context(|| {
            let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
            format!("{} declares `mod {name};` but neither {} exists", file.display(), tried.join(" nor "))
        })?;
        let mut child = path.to_vec();
        child.push(name.clone());
        load(modules, &child, found, &child_dir.join(&name))?;
    }
    Ok(())
}

/// The file modules (`mod name;`) declared among `items`, test modules left out.
fn declared_children(items: &[syn::Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() && !is_test(&m.attrs) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// `#[cfg(test)]` exactly: code compiled for the crate's own tests only.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| match &attr.meta {
        syn::Meta::List(list) => list.path.is_ident("cfg") && list.tokens.to_string() == "test",
        _ => false,
    })
}

/// Collects the paths into the crate that one module's items write.
struct Collector<'m> {
    /// Where paths are resolved from: the module, or an inline module inside it.
    scope: ModPath,
    /// The child modules of `scope`.
    children: BTreeSet<String>,
    /// How deep inside inline modules the collector is: their re-exports are not the module's.
    inline: usize,
    module: &'m mut Module,
}

impl Collector<'_> {
    /// `segments` as an absolute path, or `None` for a path outside the crate (or a local name).
    fn absolute(&self, segments: &[String]) -> Option<ModPath> {
        let (head, _) = segments.split_first()?;
        match head.as_str() {
            "crate" => Some(segments[1..].to_vec()),
            "self" | "super" => {
                let mut base = self.scope.clone();
                let mut rest = segments;
                while let Some((first, tail)) = rest.split_first() {
                    match first.as_str() {
                        "super" => {
                            base.pop()?;
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = tail;
                }
                base.extend_from_slice(rest);
                Some(base)
            }
            // A lone name may be a local binding; only `child::…` is surely the module.
            _ if segments.len() > 1 && self.children.contains(head) => {
                let mut path = self.scope.clone();
                path.extend_from_slice(segments);
                Some(path)
            }
            _ => None,
        }
    }

    fn record(&mut self, segments: &[String]) {
        if let Some(path) = self.absolute(segments) {
            self.module.paths.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !is_test(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        if !is_test(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let Some((_, items)) = &item.content else { return };
        let outer = std::mem::replace(&mut self.children, declared_children(items));
        self.scope.push(item.ident.to_string());
        self.inline += 1;
        for inner in items {
            self.visit_item(inner);
        }
        self.inline -= 1;
        self.scope.pop();
        self.children = outer;
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let reexport = self.inline == 0 && !matches!(item.vis, syn::Visibility::Inherited);
        let mut imports = Vec::new();
        expand(&item.tree, Vec::new(), &mut imports);
        for (segments, name) in imports {
            let Some(path) = self.absolute(&segments) else { continue };
            if let (true, Some(name)) = (reexport, name) {
                self.module.reexports.insert(name, path.clone());
            }
            self.module.paths.push(path);
        }
    }

    // `pub(super)` says who may see an item, not what the module uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.record(&segments);
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        for segments in token_paths(mac.tokens.clone()) {
            self.record(&segments);
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Every path a use tree imports, with the name it binds (`None` for a glob).
fn expand(tree: &syn::UseTree, mut prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            expand(&p.tree, prefix, out);
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned();
            out.push((prefix, name));
        }
        syn::UseTree::Name(n) => {
            prefix.push(n.ident.to_string());
            let name = Some(n.ident.to_string());
            out.push((prefix, name));
        }
        syn::UseTree::Rename(r) => {
            if r.ident != "self" {
                prefix.push(r.ident.to_string());
            }
            out.push((prefix, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for inner in &g.items {
                expand(inner, prefix.clone(), out);
            }
        }
    }
}

/// The `a::b::c` paths written in a macro's tokens, which syn leaves unparsed.
fn token_paths(tokens: TokenStream) -> Vec<Vec<String>> {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    let mut paths = Vec::new();
    let mut i = 0;
    while i < flat.len() {
        let Flat::Ident(head) = &flat[i] else {
            i += 1;
            continue;
        };
        if i > 0 && flat[i - 1] == Flat::PathSep {
            i += 1;
            continue;
        }
        let mut segments = vec![head.clone()];
        let mut j = i + 1;
        while let (Some(Flat::PathSep), Some(Flat::Ident(next))) = (flat.get(j), flat.get(j + 1)) {
            segments.push(next.clone());
            j += 2;
        }
        if segments.len() > 1 {
            paths.push(segments);
        }
        i = j;
    }
    paths
}

#[derive(Debug, PartialEq, Eq)]
enum Flat {
    Ident(String),
    PathSep,
    Other,
}

fn flatten(tokens: TokenStream, out: &mut Vec<Flat>) {
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Ident(ident) => out.push(Flat::Ident(ident.to_string())),
            TokenTree::Punct(p) if p.as_char() == ':' && p.spacing() == Spacing::Joint => {
                if matches!(tokens.peek(), Some(TokenTree::Punct(q)) if q.as_char() == ':') {
                    tokens.next();
                    out.push(Flat::PathSep);
                } else {
                    out.push(Flat::Other);
                }
            }
            TokenTree::Group(group) => {
                out.push(Flat::Other);
                flatten(group.stream(), out);
                out.push(Flat::Other);
            }
            _ => out.push(Flat::Other),
        }
    }
}

/// The module that defines what `path` names: its longest prefix that is a module, or, when
/// the rest starts with a name that module re-exports, wherever that name leads.
fn defining_module(modules: &BTreeMap<ModPath, Module>, path: &[String], hops: usize) -> ModPath {
    let known = (0..=path.len()).rev().map(|k| &path[..k]).find(|p| modules.contains_key(*p)).unwrap_or(&[]);
    let rest = &path[known.len()..];
    if let Some((name, tail)) = rest.split_first()
        && let Some(to) = modules.get(known).and_then(|m| m.reexports.get(name))
        && hops < MAX_REEXPORT_HOPS
    {
        let mut next = to.clone();
        next.extend_from_slice(tail);
        return defining_module(modules, &next, hops + 1);
    }
    known.to_vec()
}

/// Module -> each module it depends on, with the first path it writes into that module.
type Edges<'m> = BTreeMap<&'m ModPath, BTreeMap<ModPath, ModPath>>;

/// The dependencies between the crate's modules; the crate root is left out.
fn dependencies(modules: &BTreeMap<ModPath, Module>) -> Edges<'_> {
    let mut edges = Edges::new();
    for (path, module) in modules.iter().filter(|(path, _)| !path.is_empty()) {
        let mut targets = BTreeMap::new();
        for written in &module.paths {
            let target = defining_module(modules, written, 0);
            if !target.is_empty() && target != *path {
                targets.entry(target).or_insert_with(|| written.clone());
            }
        }
        edges.insert(path, targets);
    }
    edges
}

/// The circles among `edges`: each strongly connected group of two or more modules, its
/// members sorted and spelled `a::b`; the groups sorted too.
fn circles(edges: &Edges<'_>) -> Vec<Vec<String>> {
    let mut tarjan = Tarjan::default();
    for node in edges.keys() {
        if !tarjan.index.contains_key(*node) {
            tarjan.visit(node, edges);
        }
    }
    let mut groups: Vec<Vec<String>> = tarjan
        .groups
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| {
            let mut names: Vec<String> = group.iter().map(|p| p.join("::")).collect();
            names.sort();
            names
        })
        .collect();
    groups.sort();
    groups
}

/// Tarjan's strongly connected components; crates have tens of modules, so recursion is fine.
#[derive(Default)]
struct Tarjan {
    index: BTreeMap<ModPath, usize>,
    low: BTreeMap<ModPath, usize>,
    stack: Vec<ModPath>,
    on_stack: BTreeSet<ModPath>,
    groups: Vec<Vec<ModPath>>,
}

impl Tarjan {
    fn visit(&mut self, node: &ModPath, edges: &Edges<'_>) {
        let order = self.index.len();
        self.index.insert(node.clone(), order);
        self.low.insert(node.clone(), order);
        self.stack.push(node.clone());
        self.on_stack.insert(node.clone());
        for next in edges.get(node).into_iter().flat_map(BTreeMap::keys) {
            if !self.index.contains_key(next) {
                self.visit(next, edges);
                let low = self.low[node].min(self.low[next]);
                self.low.insert(node.clone(), low);
            } else if self.on_stack.contains(next) {
                let low = self.low[node].min(self.index[next]);
                self.low.insert(node.clone(), low);
            }
        }
        if self.low[node] == self.index[node] {
            let mut group = Vec::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack.remove(&member);
                let last = member == *node;
                group.push(member);
                if last {
                    break;
                }
            }
            self.groups.push(group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate from (module path, source) pairs; `""` is the root.
    fn krate(sources: &[(&str, &str)]) -> BTreeMap<ModPath, Module> {
        sources
            .iter()
            .map(|(path, source)| {
                let path: ModPath =
                    if path.is_empty() { Vec::new() } else { path.split("::").map(str::to_owned).collect() };
                let ast = syn::parse_file(source).expect("test sources parse");
                let module = Module::of(&path, &ast.items);
                (path, module)
            })
            .collect()
    }

    #[test]
    fn two_modules_importing_each_other_are_a_circle() {
        let modules = krate(&[
            ("", "mod a; mod b;"),
            ("a", "use crate::b::X; pub struct Y(X);"),
            ("b", "pub struct X; pub fn f(_: crate::a::Y) {}"),
        ]);
        let edges = dependencies(&modules);
        assert_eq!(circles(&edges), [["a", "b"]]);
        assert_eq!(evidence(&edges, &["a".to_owned(), "b".to_owned()]), "a -> crate::b::X; b -> crate::a::Y");
    }

    #[test]
    fn a_shared_type_in_a_module_below_breaks_the_circle() {
        let modules = krate(&[
            ("", "mod a; mod b; mod shared;"),
            ("a", "use crate::shared::X; use crate::b::f; pub fn g(x: X) { f(x) }"),
            ("b", "use crate::shared::X; pub fn f(_: X) {}"),
            ("shared", "pub struct X;"),
        ]);
        assert!(circles(&dependencies(&modules)).is_empty());
    }

    #[test]
    fn test_modules_and_doc_links_are_no_dependencies() {
        let modules = krate(&[
            ("", "mod a; mod b;"),
            ("a", "pub struct Y; #[cfg(test)] mod tests { use crate::b::X; }"),
            ("b", "//! Used by [`crate::a::Y`].\nuse crate::a::Y; pub struct X(Y); #[cfg(test)] mod more;"),
        ]);
        assert!(circles(&dependencies(&modules)).is_empty());
        assert!(!modules[&vec!["b".to_owned()]].children.contains("more"));
    }

    #[test]
    fn a_reexport_through_the_root_counts_against_the_defining_module() {
        let modules = krate(&[
            ("", "mod a; mod b; pub use a::{Source as Src};"),
            ("a", "pub struct Source; fn f() { let _ = crate::b::g(); }"),
            ("b", "pub fn g() -> crate::Src { crate::Src }"),
        ]);
        assert_eq!(circles(&dependencies(&modules)), [["a", "b"]]);
    }

    #[test]
    fn super_child_and_macro_paths_count() {
        let modules = krate(&[
            ("", "mod checks;"),
            ("checks", "mod env; mod store; pub fn all() { env::run(); store::run(); }"),
            ("checks::env", "pub(super) fn run() {} pub(in crate::checks) fn lines() {}"),
            ("checks::store", "pub fn run() { assert!(matches!(super::all(), ())); }"),
        ]);
        assert_eq!(circles(&dependencies(&modules)), [["checks", "checks::store"]]);
    }

    #[test]
    fn workspace_modules_import_no_circles() {
        let found = violations(&crate::project_root()).expect("the library crates parse");
        assert!(found.is_empty(), "module circles:\n{}", found.join("\n"));
    }
}
