//! A PATCH path resolved against the resource schema: the attribute's definition, its
//! container (core or an extension object) and the sub-attribute it names.

use crate::error::ScimError;
use crate::filter::Filter;
use crate::path::PatchPath;
use crate::schema::{AttrLocation, AttrType, AttributeDef, ResourceSchema};

/// Where the attribute lives.
#[derive(Debug, Clone)]
pub(super) enum Container {
    Core,
    Extension(String),
}

/// A resolved PATCH target.
pub(super) struct Target<'p> {
    pub(super) def: Option<&'static AttributeDef>,
    /// Key of the top-level attribute inside its container.
    pub(super) name: String,
    pub(super) container: Container,
    /// Sub-attribute named by `attr.sub` or after a value filter, with its definition.
    pub(super) sub: Option<(String, Option<&'static AttributeDef>)>,
    pub(super) filter: Option<&'p Filter>,
    pub(super) label: String,
}

pub(super) fn resolve<'p>(
    path: &'p PatchPath,
    schema: &ResourceSchema,
) -> Result<Target<'p>, ScimError> {
    let attr = &path.attr;
    let label = path_label(path);
    let (def, name, container) = match schema.resolve_top(attr) {
        Some((def, AttrLocation::Core)) => (Some(def), def.name.to_owned(), Container::Core),
        Some((def, AttrLocation::Extension(urn))) => (
            Some(def),
            def.name.to_owned(),
            Container::Extension(urn.to_owned()),
        ),
        None => match attr.urn.as_deref() {
            None => {
                if attr.attr.eq_ignore_ascii_case("schemas") {
                    return Err(ScimError::mutability("attribute `schemas` is readOnly"));
                }
                (None, attr.attr.clone(), Container::Core)
            }
            Some(u) if u.eq_ignore_ascii_case(schema.id) => {
                (None, attr.attr.clone(), Container::Core)
            }
            Some(u) if schema.extension(u).is_some() => {
                return Err(ScimError::invalid_path(format!(
                    "unknown attribute `{}` in schema `{u}`",
                    attr.attr
                )));
            }
            Some(u) if is_other_core_schema(u) => {
                return Err(ScimError::invalid_path(format!(
                    "schema `{u}` does not apply to a {} resource",
                    schema.name
                )));
            }
            Some(u) => (None, attr.attr.clone(), Container::Extension(u.to_owned())),
        },
    };
    let sub_name = attr.sub_attr.as_ref().or(path.sub_attr.as_ref());
    let sub = match (sub_name, def) {
        (None, _) => None,
        (Some(s), Some(d)) if d.ty == AttrType::Complex => match d.sub_attribute(s) {
            Some(sd) => Some((sd.name.to_owned(), Some(sd))),
            None => {
                return Err(ScimError::invalid_path(format!(
                    "unknown sub-attribute `{s}` of `{}`",
                    d.name
                )));
            }
        },
        (Some(s), Some(d)) => {
            return Err(ScimError::invalid_path(format!(
                "attribute `{}` is not complex and has no sub-attribute `{s}`",
                d.name
            )));
        }
        (Some(s), None) => Some((s.clone(), None)),
    };
    if path.filter.is_some() {
        if let Some(d) = def {
            if !d.multi_valued || d.ty != AttrType::Complex {
                return Err(ScimError::invalid_path(format!(
                    "a value filter needs a multi-valued complex attribute, `{}` is not one",
                    d.name
                )));
            }
        }
    }
    Ok(Target {
        def,
        name,
        container,
        sub,
        filter: path.filter.as_ref(),
        label,
    })
}

fn is_other_core_schema(urn: &str) -> bool {
    [crate::model::USER_SCHEMA, crate::model::GROUP_SCHEMA]
        .iter()
        .any(|u| u.eq_ignore_ascii_case(urn))
}

fn path_label(path: &PatchPath) -> String {
    let mut s = path.attr.to_string();
    if let Some(f) = &path.filter {
        s.push_str(&format!("[{f}]"));
    }
    if let Some(sub) = &path.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}
