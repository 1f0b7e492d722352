//! Rendering a parsed template: handlebars-rust's `RenderContext` (a stack of block scopes, and
//! the state that decides where a partial's indent is written) and its `if`, `unless`, `each`,
//! `with` and `lookup` helpers.

use std::rc::Rc;

use serde_json::{Map, Value};

use super::{Block, Helper, Node, Param, Partial, Path, PathKind, Seg, Template, Templates, located};

static NULL: Value = Value::Null;

/// Render `template` (one of `templates`) with `context`.
pub(super) fn render(templates: &Templates<'_>, template: &Template<'_>, context: &Value) -> Result<String, String> {
    let mut renderer = Renderer {
        templates,
        root: context,
        out: String::with_capacity(template.source.len() * 2),
        scopes: vec![Scope { base: Val::Ref(context), params: Vec::new(), locals: Locals::default(), merged: false }],
        trailing_newline: false,
        content_produced: false,
        indent_before_write: false,
        indent: None,
        depth: 0,
    };
    renderer.nodes(template, &template.nodes)?;
    Ok(renderer.out)
}

/// A value from the context, or one computed while rendering.
#[derive(Debug, Clone)]
enum Val<'v> {
    Ref(&'v Value),
    Own(Rc<Value>),
}

impl Val<'_> {
    fn get(&self) -> &Value {
        match self {
            Val::Ref(value) => value,
            Val::Own(value) => value,
        }
    }
}

/// `@first`, `@last`, `@index` and `@key` of a block.
#[derive(Debug, Clone, Default)]
struct Locals {
    first: Option<bool>,
    last: Option<bool>,
    index: Option<usize>,
    key: Option<String>,
}

impl Locals {
    fn get(&self, name: &str) -> Option<Value> {
        match name {
            "first" => self.first.map(Value::Bool),
            "last" => self.last.map(Value::Bool),
            "index" => self.index.map(Value::from),
            "key" => self.key.clone().map(Value::String),
            _ => None,
        }
    }
}

/// handlebars-rust's `BlockContext`: what `this` is, the partial's hash values, the locals.
#[derive(Debug)]
struct Scope<'t, 'v> {
    base: Val<'v>,
    params: Vec<(&'t str, Val<'v>)>,
    locals: Locals,
    /// A partial's scope whose `this` is `base` (an object) with `params` added. handlebars
    /// copies that object; since a name is looked up in `params` first, only `this` as a whole
    /// needs the copy, so it is made only then.
    merged: bool,
}

impl<'v> Scope<'_, 'v> {
    /// `this` of the scope.
    fn this(&self) -> Val<'v> {
        if self.merged { Val::Own(Rc::new(merge(self.base.get(), &self.params))) } else { self.base.clone() }
    }
}

/// How deep partials may nest (a partial that includes itself is an error, not a stack overflow).
const MAX_PARTIAL_DEPTH: usize = 64;

/// The indentation state a block or partial saves on entry (see [`Renderer::enter`]).
#[derive(Clone, Copy)]
struct Saved {
    indent_before_write: bool,
    content_produced: bool,
}

struct Renderer<'t, 's, 'v> {
    templates: &'t Templates<'s>,
    root: &'v Value,
    out: String,
    /// The innermost scope last.
    scopes: Vec<Scope<'t, 'v>>,
    /// The last text written ended with a line break.
    trailing_newline: bool,
    /// Something was written since a helper or partial started.
    content_produced: bool,
    /// The next text written starts a line that needs the indent.
    indent_before_write: bool,
    /// The indent of the partial being rendered (nested partials add theirs).
    indent: Option<String>,
    depth: usize,
}

impl<'t, 's: 't, 'v> Renderer<'t, 's, 'v> {
    fn nodes(&mut self, template: &'t Template<'s>, nodes: &'t [Node<'s>]) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Raw(text) => self.write(text),
                Node::Comment => {}
                Node::Value { path, at } => {
                    let value = self
                        .resolve(path)
                        .and_then(|value| {
                            value.ok_or_else(|| format!("`{}` is not in the context (strict mode)", path.raw))
                        })
                        .map_err(|message| located(&template.name, template.source, *at, &message))?;
                    match value.get() {
                        Value::String(text) => self.write(text),
                        other => self.write(&render_value(other)),
                    }
                }
                Node::Block(block) => self.block(template, block)?,
                Node::Partial(partial) => self.partial(template, partial)?,
            }
        }
        Ok(())
    }

    /// handlebars-rust's `indent_aware_write`.
    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.content_produced = true;
        match &self.indent {
            Some(indent) => {
                if self.indent_before_write && !text.starts_with(['\n', '\r']) {
                    self.out.push_str(indent);
                }
                let mut lines = text.split_inclusive('\n').peekable();
                while let Some(line) = lines.next() {
                    self.out.push_str(line);
                    if line.ends_with('\n') && lines.peek().is_some() {
                        self.out.push_str(indent);
                    }
                }
            }
            None => self.out.push_str(text),
        }
        self.trailing_newline = text.ends_with(['\n', '\r']);
        self.indent_before_write = self.trailing_newline;
    }

    /// Start a block or partial: whether it begins by writing the indent, and nothing produced
    /// yet. Returns the state [`Renderer::leave`] restores when the block produced nothing.
    fn enter(&mut self, indent_before_write: bool) -> Saved {
        let saved = Saved { indent_before_write: self.indent_before_write, content_produced: self.content_produced };
        self.indent_before_write = indent_before_write;
        self.content_produced = false;
        saved
    }

    /// End a block or partial begun with [`Renderer::enter`].
    fn leave(&mut self, saved: Saved) {
        if self.content_produced {
            self.indent_before_write = self.trailing_newline;
        } else {
            self.content_produced = saved.content_produced;
            self.indent_before_write = saved.indent_before_write;
        }
    }

    fn block(&mut self, template: &'t Template<'s>, block: &'t Block<'s>) -> Result<(), String> {
        let fail = |message: String| located(&template.name, template.source, block.at, &message);
        let params = block.params.iter().map(|p| self.param(p)).collect::<Result<Vec<_>, _>>().map_err(fail)?;
        let include_zero = match block.hash.iter().find(|(key, _)| *key == "includeZero") {
            Some((_, p)) => self.param(p).map_err(fail)?.and_then(|v| v.get().as_bool()).unwrap_or(false),
            None => false,
        };
        let value = params.into_iter().next().flatten();
        let value_or_null = value.clone().unwrap_or(Val::Ref(&NULL));

        let saved = self.enter(self.indent_before_write || (block.indent_before_write && self.trailing_newline));

        match block.helper {
            Helper::If | Helper::Unless => {
                let truthy = is_truthy(value_or_null.get(), include_zero) == (block.helper == Helper::If);
                if let Some(nodes) = if truthy { Some(&block.body) } else { block.inverse.as_ref() } {
                    self.nodes(template, nodes)?;
                }
            }
            Helper::Each => self.each(template, block, value_or_null)?,
            Helper::With => {
                if is_truthy(value_or_null.get(), false) {
                    let locals = self.scopes.last().map(|s| s.locals.clone()).unwrap_or_default();
                    self.scopes.push(Scope { base: value_or_null, params: Vec::new(), locals, merged: false });
                    let result = self.nodes(template, &block.body);
                    self.scopes.pop();
                    result?;
                } else if let Some(inverse) = &block.inverse {
                    self.nodes(template, inverse)?;
                } else {
                    let what = block.params.first().map(describe).unwrap_or_default();
                    return Err(fail(format!("`{{{{#with {what}}}}}` of a missing or empty value (strict mode)")));
                }
            }
        }

        self.leave(saved);
        Ok(())
    }

    fn each(&mut self, template: &'t Template<'s>, block: &'t Block<'s>, value: Val<'v>) -> Result<(), String> {
        let iterate = match value.get() {
            Value::Array(items) => !items.is_empty() || block.inverse.is_none(),
            Value::Object(entries) => !entries.is_empty() || block.inverse.is_none(),
            _ => false,
        };
        if !iterate {
            return match &block.inverse {
                Some(inverse) => self.nodes(template, inverse),
                None => {
                    let what = block.params.first().map(describe).unwrap_or_default();
                    Err(located(
                        &template.name,
                        template.source,
                        block.at,
                        &format!("`{{{{#each {what}}}}}` of a missing value or one that is not a list (strict mode)"),
                    ))
                }
            };
        }
        let items: Vec<(Val<'v>, Option<String>)> = match &value {
            Val::Ref(Value::Array(items)) => items.iter().map(|v| (Val::Ref(v), None)).collect(),
            Val::Ref(Value::Object(entries)) => entries.iter().map(|(k, v)| (Val::Ref(v), Some(k.clone()))).collect(),
            Val::Own(owned) => match owned.as_ref() {
                Value::Array(items) => items.iter().map(|v| (Val::Own(Rc::new(v.clone())), None)).collect(),
                Value::Object(entries) => {
                    entries.iter().map(|(k, v)| (Val::Own(Rc::new(v.clone())), Some(k.clone()))).collect()
                }
                _ => Vec::new(),
            },
            Val::Ref(_) => Vec::new(),
        };
        let length = items.len();
        self.scopes.push(Scope { base: value.clone(), params: Vec::new(), locals: Locals::default(), merged: false });
        let mut result = Ok(());
        for (index, (item, key)) in items.into_iter().enumerate() {
            if let Some(scope) = self.scopes.last_mut() {
                scope.base = item;
                scope.locals =
                    Locals { first: Some(index == 0), last: Some(index + 1 == length), index: Some(index), key };
            }
            result = self.nodes(template, &block.body);
            if result.is_err() {
                break;
            }
        }
        self.scopes.pop();
        result
    }

    fn partial(&mut self, template: &'t Template<'s>, partial: &'t Partial<'s>) -> Result<(), String> {
        let fail = |message: String| located(&template.name, template.source, partial.at, &message);
        let context = match &partial.context {
            Some(p) => Some(self.param(p).map_err(fail)?.unwrap_or(Val::Ref(&NULL))),
            None => None,
        };
        let mut hash = Vec::with_capacity(partial.hash.len());
        for (key, p) in &partial.hash {
            hash.push((*key, self.param(p).map_err(fail)?.unwrap_or(Val::Ref(&NULL))));
        }
        let indent = match (&self.indent, partial.indent) {
            (None, None) => None,
            (Some(outer), None) => Some(outer.clone()),
            (None, Some(own)) => Some(own.to_string()),
            (Some(outer), Some(own)) => Some(format!("{outer}{own}")),
        };
        let templates: &'t Templates<'s> = self.templates;
        let Some(included) = templates.get(partial.name) else {
            return Err(fail(format!("partial `{}` is not registered", partial.name)));
        };
        if self.depth >= MAX_PARTIAL_DEPTH {
            return Err(fail(format!("partial `{}` nests more than {MAX_PARTIAL_DEPTH} deep", partial.name)));
        }

        let saved = self.enter(partial.indent_before_write && (self.trailing_newline || partial.indent.is_some()));

        let base = context.unwrap_or_else(|| self.scopes.last().map(Scope::this).unwrap_or(Val::Ref(self.root)));
        let merged = !hash.is_empty() && base.get().is_object();
        let base = if hash.is_empty() || merged { base } else { Val::Own(Rc::new(merge(base.get(), &hash))) };
        let locals = self.scopes.last().map(|s| s.locals.clone()).unwrap_or_default();
        self.scopes.push(Scope { base, params: hash, locals, merged });
        let outer_indent = std::mem::replace(&mut self.indent, indent);
        self.depth += 1;
        let result = self.nodes(included, &included.nodes);
        self.depth -= 1;
        self.indent = outer_indent;
        self.scopes.pop();
        result?;

        self.leave(saved);
        Ok(())
    }

    /// A parameter's value; `None` when a path is missing.
    fn param(&self, param: &Param<'t>) -> Result<Option<Val<'v>>, String> {
        match param {
            Param::Path(path) => self.resolve(path),
            Param::Literal(value) => Ok(Some(Val::Own(Rc::new(value.clone())))),
            Param::Lookup(params) => {
                let (Some(collection), Some(key)) = (params.first(), params.get(1)) else {
                    return Err("`lookup` needs a collection and a key".into());
                };
                let collection = self.param(collection)?.unwrap_or(Val::Ref(&NULL));
                let key = self.param(key)?.unwrap_or(Val::Ref(&NULL));
                let found = match (&collection, key.get()) {
                    (Val::Ref(Value::Array(items)), key) => {
                        key.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?)).map(Val::Ref)
                    }
                    (Val::Ref(Value::Object(entries)), key) => key.as_str().and_then(|k| entries.get(k)).map(Val::Ref),
                    (Val::Own(owned), key) => match owned.as_ref() {
                        Value::Array(items) => key.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?)),
                        Value::Object(entries) => key.as_str().and_then(|k| entries.get(k)),
                        _ => None,
                    }
                    .map(|v| Val::Own(Rc::new(v.clone()))),
                    _ => None,
                };
                match found {
                    Some(value) => Ok(Some(value)),
                    None => Err("`lookup` found no such entry (strict mode)".into()),
                }
            }
        }
    }

    /// handlebars-rust's `Context::navigate` (via `parse_json_visitor`).
    fn resolve(&self, path: &Path<'t>) -> Result<Option<Val<'v>>, String> {
        let single;
        let segs: &[Seg<'t>] = match &path.kind {
            PathKind::Local { level, name } => {
                let scope = self.scopes.len().checked_sub(level + 1).and_then(|i| self.scopes.get(i));
                return Ok(scope.and_then(|s| s.locals.get(name)).map(|v| Val::Own(Rc::new(v))));
            }
            PathKind::Name(name) => {
                single = [Seg::Named(name)];
                &single
            }
            PathKind::Relative(segs) => segs,
        };
        let mut depth = 0;
        let mut from_root = false;
        let mut block_param = None;
        for seg in segs {
            match seg {
                Seg::Named(name) => {
                    block_param = self
                        .scopes
                        .iter()
                        .rev()
                        .find_map(|s| s.params.iter().find(|(key, _)| key == name).map(|(_, v)| v));
                    break;
                }
                Seg::Root => {
                    from_root = true;
                    break;
                }
                Seg::Up => depth += 1,
            }
        }
        let names = segs.iter().filter_map(|s| match s {
            Seg::Named(name) => Some(*name),
            _ => None,
        });
        if let Some(value) = block_param {
            return walk(value.clone(), names.skip(1));
        }
        if from_root {
            return walk(Val::Ref(self.root), names);
        }
        let scope = self.scopes.len().checked_sub(depth + 1).and_then(|i| self.scopes.get(i)).or(self.scopes.last());
        match scope {
            Some(scope) if segs.iter().any(|s| matches!(s, Seg::Named(_))) => walk(scope.base.clone(), names),
            Some(scope) => Ok(Some(scope.this())),
            None => walk(Val::Ref(self.root), names),
        }
    }
}

/// Follow `names` from `value` (handlebars-rust's `get_data`: a name that is not a number
/// indexing a list is an error).
fn walk<'v, 'n>(value: Val<'v>, names: impl Iterator<Item = &'n str>) -> Result<Option<Val<'v>>, String> {
    let mut current = value;
    for name in names {
        let next = match &current {
            Val::Ref(value) => step(value, name)?.map(Val::Ref),
            Val::Own(value) => step(value, name)?.map(|v| Val::Own(Rc::new(v.clone()))),
        };
        match next {
            Some(next) => current = next,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

fn step<'a>(value: &'a Value, name: &str) -> Result<Option<&'a Value>, String> {
    match value {
        Value::Array(items) => match name.parse::<usize>() {
            Ok(index) => Ok(items.get(index)),
            Err(_) => Err(format!("`{name}` is not an index into a list")),
        },
        Value::Object(entries) => Ok(entries.get(name)),
        _ => Ok(None),
    }
}

/// handlebars-rust's `merge_json`: a partial's context with its hash values added.
fn merge(base: &Value, hash: &[(&str, Val<'_>)]) -> Value {
    let mut map = match base {
        Value::Object(entries) => entries.clone(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect(),
        Value::String(text) => {
            text.chars().enumerate().map(|(i, c)| (i.to_string(), Value::String(c.to_string()))).collect()
        }
        _ => Map::new(),
    };
    for (key, value) in hash {
        map.insert((*key).to_string(), value.get().clone());
    }
    Value::Object(map)
}

/// handlebars-rust's `JsonTruthy`.
fn is_truthy(value: &Value, include_zero: bool) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => {
            if include_zero {
                n.as_f64().is_some_and(|f| !f.is_nan())
            } else {
                n.as_f64().is_some_and(f64::is_normal)
            }
        }
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(entries) => !entries.is_empty(),
    }
}

/// handlebars-rust's `JsonRender`.
fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        Value::Array(items) => format!("[{}]", items.iter().map(render_value).collect::<Vec<_>>().join(", ")),
        Value::Object(_) => "[object]".to_string(),
    }
}

/// A parameter as written, for messages.
fn describe(param: &Param<'_>) -> String {
    match param {
        Param::Path(path) => path.raw.to_string(),
        Param::Literal(value) => value.to_string(),
        Param::Lookup(params) => format!("(lookup {})", params.iter().map(describe).collect::<Vec<_>>().join(" ")),
    }
}
