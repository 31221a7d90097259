//! The one walk of a parsed document: what each operation amounts to once its
//! fragments are expanded (fields, complexity, depth, selection-set nesting, root
//! fields), and, over every definition once, its aliases and whether it asks for
//! introspection. Each fragment is measured once and its size reused at every spread,
//! so a "fragment bomb" (2^20 fields in a few lines) costs the size of its text.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Pos, Positioned, Value, Variables};

use super::shape::Shape;

/// Deepest nesting of selection sets the walk follows (fields, inline fragments and
/// spreads each open one): it recurses, and a chain of fragments is not bounded by
/// the parser. Deeper documents are refused without being measured.
const MAX_WALK: usize = 64;

/// What a selection set amounts to, its fragments expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    /// Fields, counted once per place they are expanded to.
    pub fields: usize,
    /// async-graphql's complexity: a field counts 1 plus its selection's; a paged
    /// field counts its selection's once per item of its page.
    pub complexity: usize,
    /// Deepest chain of fields (`{ a { b } }` is 2).
    pub depth: usize,
    /// Deepest nesting of selection sets below this one.
    pub nesting: usize,
    /// Fields at this set's own level (fragments at this level expanded).
    pub roots: usize,
}

/// The selection sets nest deeper than the walk follows.
#[derive(Debug)]
pub struct TooDeep;

/// How paged fields are weighted: by `first` or `last`, else the default page size,
/// at least 1 and at most the largest page size.
#[derive(Debug, Clone, Copy)]
pub struct PageWeights {
    pub default: usize,
    pub max: usize,
}

/// The measure of a whole document.
#[derive(Debug, Default)]
pub struct Measured {
    /// Each operation's name (if any) and size.
    pub operations: Vec<(Option<String>, Size)>,
    /// Aliased fields over every definition.
    pub aliases: usize,
    /// Where the document asks for `__schema` or `__type`, if it does.
    pub introspection: Option<Pos>,
}

/// Measures `doc`; `variables` give the page sizes passed as variables.
pub fn measure(
    doc: &ExecutableDocument,
    variables: &Variables,
    shape: &Shape,
    weights: PageWeights,
) -> Result<Measured, TooDeep> {
    let mut walk = Walk {
        doc,
        shape,
        variables,
        weights,
        memo: HashMap::new(),
        aliases: 0,
        introspection: None,
    };
    let mut operations = Vec::new();
    for (name, operation) in doc.operations.iter() {
        let root = match operation.node.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        let size = walk.set(&operation.node.selection_set, Some(root), 0)?;
        operations.push((name.map(|n| n.to_string()), size));
    }
    // Fragments no operation spreads (validation refuses them later) still count
    // their aliases and introspection.
    for name in doc.fragments.keys() {
        if !walk.memo.contains_key(name.as_str()) {
            walk.fragment(name.as_str(), 1)?;
        }
    }
    Ok(Measured {
        operations,
        aliases: walk.aliases,
        introspection: walk.introspection,
    })
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    shape: &'a Shape,
    variables: &'a Variables,
    weights: PageWeights,
    /// Each fragment's size; `None` while it is being measured (a spread of it inside
    /// itself, a cycle that validation refuses later, counts as empty).
    memo: HashMap<&'a str, Option<Size>>,
    aliases: usize,
    introspection: Option<Pos>,
}

impl<'a> Walk<'a> {
    /// The size of `set`, selected on `ty` (`None`: a type the schema has no object
    /// of), `level` sets deep.
    fn set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        ty: Option<&'a str>,
        level: usize,
    ) -> Result<Size, TooDeep> {
        if level > MAX_WALK {
            return Err(TooDeep);
        }
        let mut size = Size::default();
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => size = size.with_field(self.field(field, ty, level)?),
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(ty, |c| Some(c.node.on.node.as_str()));
                    size = size.with_spread(self.set(&inline.node.selection_set, on, level + 1)?);
                }
                Selection::FragmentSpread(spread) => {
                    let inner =
                        self.fragment(spread.node.fragment_name.node.as_str(), level + 1)?;
                    size = size.with_spread(inner);
                }
            }
        }
        Ok(size)
    }

    /// A field's own size: itself and its selection.
    fn field(
        &mut self,
        field: &'a Positioned<Field>,
        parent: Option<&'a str>,
        level: usize,
    ) -> Result<Size, TooDeep> {
        let node = &field.node;
        self.aliases += usize::from(node.alias.is_some());
        let name = node.name.node.as_str();
        if self.introspection.is_none() && (name == "__schema" || name == "__type") {
            self.introspection = Some(field.pos);
        }
        let shape = self.shape.field(parent, name);
        let returns = shape.map(|s| s.returns.as_str());
        let inner = if node.selection_set.node.items.is_empty() {
            None
        } else {
            Some(self.set(&node.selection_set, returns, level + 1)?)
        };
        let child = inner.unwrap_or_default();
        let complexity = if shape.is_some_and(|s| s.paged) {
            self.page_weight(node).saturating_mul(child.complexity)
        } else {
            child.complexity.saturating_add(1)
        };
        Ok(Size {
            fields: child.fields.saturating_add(1),
            complexity,
            depth: child.depth + 1,
            nesting: inner.map_or(0, |inner| inner.nesting + 1),
            roots: 1,
        })
    }

    /// The size of the fragment `name`, spread `level` sets deep.
    fn fragment(&mut self, name: &'a str, level: usize) -> Result<Size, TooDeep> {
        match self.memo.get(name) {
            Some(Some(size)) if level + size.nesting > MAX_WALK => return Err(TooDeep),
            Some(Some(size)) => return Ok(*size),
            Some(None) => return Ok(Size::default()),
            None => {}
        }
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Size::default());
        };
        self.memo.insert(key.as_str(), None);
        let on = fragment.node.type_condition.node.on.node.as_str();
        let size = self.set(&fragment.node.selection_set, Some(on), level)?;
        self.memo.insert(key.as_str(), Some(size));
        Ok(size)
    }

    /// The items a paged field may return: its `first` (or `last`), else the default
    /// page size, within 1 and the largest page size.
    fn page_weight(&self, field: &Field) -> usize {
        let size = self.int(field, "first").or_else(|| self.int(field, "last"));
        let max = self.weights.max.max(1);
        size.map_or(self.weights.default, |n| usize::try_from(n).unwrap_or(0))
            .clamp(1, max)
    }

    /// An integer argument, given literally or by a variable (or its default).
    fn int(&self, field: &Field, argument: &str) -> Option<i64> {
        let value = field.get_argument(argument)?.node.clone();
        let value = value
            .into_const_with(|name| self.variable(&name).ok_or(()))
            .ok()?;
        match value {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    fn variable(&self, name: &Name) -> Option<Value> {
        if let Some(value) = self.variables.get(name) {
            return Some(value.clone());
        }
        self.doc.operations.iter().find_map(|(_, operation)| {
            operation
                .node
                .variable_definitions
                .iter()
                .find(|d| d.node.name.node == *name)
                .and_then(|d| d.node.default_value.as_ref())
                .map(|v| v.node.clone())
        })
    }
}

impl Size {
    fn with_field(self, field: Size) -> Size {
        Size {
            fields: self.fields.saturating_add(field.fields),
            complexity: self.complexity.saturating_add(field.complexity),
            depth: self.depth.max(field.depth),
            nesting: self.nesting.max(field.nesting),
            roots: self.roots + 1,
        }
    }

    /// An inline fragment or a fragment spread: a set of its own, one level deeper.
    fn with_spread(self, inner: Size) -> Size {
        Size {
            fields: self.fields.saturating_add(inner.fields),
            complexity: self.complexity.saturating_add(inner.complexity),
            depth: self.depth.max(inner.depth),
            nesting: self.nesting.max(inner.nesting + 1),
            roots: self.roots.saturating_add(inner.roots),
        }
    }
}
