//! What the walk of a document needs to know of the schema: each object type's
//! fields, the type each returns, and which are paged (Relay connections, which take
//! `first` and `last` and are weighted by their page size). Read once from the
//! schema's SDL, as the schema itself exports it.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// One field of an object type.
#[derive(Debug, Clone)]
pub struct FieldShape {
    /// The named type the field returns (lists and non-null unwrapped).
    pub returns: String,
    /// A connection: its selection counts once per item of the page.
    pub paged: bool,
}

/// The object types of a schema, by name, and the roots.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    objects: HashMap<String, HashMap<String, FieldShape>>,
}

impl Shape {
    /// The shape of the schema whose SDL is `sdl`. A schema that does not parse (it
    /// cannot happen: the SDL is async-graphql's own) gives an empty shape, in which
    /// no field is paged.
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("the schema's SDL does not parse: page weights are not applied");
            return Shape::default();
        };
        let mut objects = HashMap::new();
        for definition in doc.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let TypeKind::Object(object) = ty.node.kind else {
                continue;
            };
            let fields = object
                .fields
                .into_iter()
                .map(|field| {
                    let field = field.node;
                    let has = |name: &str| field.arguments.iter().any(|a| a.node.name.node == name);
                    let shape = FieldShape {
                        returns: named(&field.ty.node).to_string(),
                        paged: has("first") && has("last"),
                    };
                    (field.name.node.to_string(), shape)
                })
                .collect();
            objects.insert(ty.node.name.node.to_string(), fields);
        }
        Shape { objects }
    }

    /// The field `name` of the object type `ty`, if `ty` is an object type that has it
    /// (an interface's fields are not weighted, as async-graphql did not weight them).
    pub fn field(&self, ty: Option<&str>, name: &str) -> Option<&FieldShape> {
        self.objects.get(ty?)?.get(name)
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}
