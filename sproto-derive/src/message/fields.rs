//! Per-field code, by kind: plain fields go through the `Field` trait, `decimal`
//! fields through `DecimalField`, maps through the map helpers. Calls are spanned at
//! the field's type (or attribute), so trait errors point at the user's code.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Path;

use crate::internals::ast::{hidden_ident, FieldModel, Kind};

/// The statement that writes the field.
pub fn encode(krate: &Path, f: &FieldModel<'_>) -> TokenStream {
    let (ident, ty, tag) = (f.ident, f.ty, f.tag);
    match &f.kind {
        Kind::Plain => quote_spanned! {ty.span()=>
            <#ty as #krate::derive::Field<'_>>::encode_field(&self.#ident, st, #tag);
        },
        Kind::Decimal(n) => quote_spanned! {ty.span()=>
            <#ty as #krate::derive::DecimalField>::encode_decimal(&self.#ident, st, #tag, #n);
        },
        Kind::KeyedMap {
            value_ty,
            optional: false,
            ..
        } => quote_spanned! {ty.span()=>
            #krate::derive::encode_keyed_map::<#value_ty>(self.#ident.values(), st, #tag);
        },
        Kind::KeyedMap {
            value_ty,
            optional: true,
            ..
        } => quote_spanned! {ty.span()=>
            if let ::core::option::Option::Some(map) = &self.#ident {
                #krate::derive::encode_keyed_map::<#value_ty>(map.values(), st, #tag);
            }
        },
        Kind::PairMap {
            entry,
            optional: false,
            ..
        } => quote_spanned! {entry.span()=>
            #krate::derive::encode_pair_map::<#entry>(self.#ident.iter(), st, #tag);
        },
        Kind::PairMap {
            entry,
            optional: true,
            ..
        } => quote_spanned! {entry.span()=>
            if let ::core::option::Option::Some(map) = &self.#ident {
                #krate::derive::encode_pair_map::<#entry>(map.iter(), st, #tag);
            }
        },
        Kind::KeyedList { .. } | Kind::PairList { .. } => quote_spanned! {ty.span()=>
            <#ty as #krate::derive::Field<'_>>::encode_field(&self.#ident, st, #tag);
        },
    }
}

/// The statements that read the field into a local (its default when absent), and the
/// struct field initializer.
pub fn decode(krate: &Path, f: &FieldModel<'_>, i: usize) -> (TokenStream, TokenStream) {
    let (ident, ty, tag, name) = (f.ident, f.ty, u32::from(f.tag), &f.name);
    let local = format_ident!("__sproto_field_{}", i);
    let read = match &f.kind {
        Kind::Plain => quote_spanned! {ty.span()=>
            <#ty as #krate::derive::Field<'_>>::decode_field(slot.value, offset, depth)
        },
        Kind::Decimal(n) => quote_spanned! {ty.span()=>
            <#ty as #krate::derive::DecimalField>::decode_decimal(slot.value, offset, #n)
        },
        Kind::KeyedMap {
            key,
            key_ty,
            value_ty,
            map_ty,
            optional,
        } => {
            let method = hidden_ident("__sproto_key_", &key.value(), key.span());
            let key_fn = quote_spanned! {key.span()=>
                |v: &#value_ty| -> ::core::option::Option<#key_ty> {
                    #krate::derive::KeyField::<#key_ty>::map_key(<#value_ty>::#method(v))
                }
            };
            let read = quote_spanned! {ty.span()=>
                #krate::derive::decode_keyed_map::<#key_ty, #value_ty, #map_ty>(slot.value, offset, depth, #key_fn)
            };
            if *optional {
                quote!((#read).map(::core::option::Option::Some))
            } else {
                read
            }
        }
        Kind::PairMap {
            entry,
            map_ty,
            optional,
        } => {
            let read = quote_spanned! {entry.span()=>
                #krate::derive::decode_pair_map::<#entry, #map_ty>(slot.value, offset, depth)
            };
            if *optional {
                quote!((#read).map(::core::option::Option::Some))
            } else {
                read
            }
        }
        Kind::KeyedList { .. } | Kind::PairList { .. } => quote_spanned! {ty.span()=>
            <#ty as #krate::derive::Field<'_>>::decode_field(slot.value, offset, depth)
        },
    };
    // Tags ascend on the wire and the fields are in tag order: one merge pass
    // (`seek` reads and checks slots with smaller, unknown tags on the way); an absent
    // field takes its default.
    let tag_lit = proc_macro2::Literal::u32_unsuffixed(tag);
    let absent = quote_spanned! {ty.span()=>
        <#ty as #krate::derive::FieldDefault>::absent()
    };
    let decl = quote! {
        let #local: #ty = match reader.seek(#tag_lit)? {
            ::core::option::Option::Some(slot) => {
                let offset = reader.slot_offset(slot.index);
                #krate::derive::check_depth(depth, offset)?;
                (#read).map_err(|e| e.in_field(#name))?
            }
            ::core::option::Option::None => #absent,
        };
    };
    let build = quote! { #ident: #local };
    (decl, build)
}

/// The `FieldDesc` expression describing the field: the element type from the Rust
/// type's `FieldForm`, and the shape from it (plain and decimal fields) or from the
/// map attributes.
pub fn describe(krate: &Path, f: &FieldModel<'_>) -> TokenStream {
    let (ty, tag, name) = (f.ty, f.tag, &f.name);
    // `shape`: `None` keeps the form's own shape (one value or an array).
    let desc = |form: TokenStream, shape: Option<TokenStream>| {
        let shape = shape.unwrap_or_else(|| quote!(form.shape));
        quote! {{
            let form: #krate::derive::FieldForm = #form;
            #krate::derive::FieldDesc {
                name: #name,
                tag: #tag,
                ty: form.ty,
                shape: #shape,
            }
        }}
    };
    let keyed = |key: TokenStream| quote!(#krate::derive::Shape::KeyedMap { key: #key });
    let pair = |key: TokenStream| quote!(#krate::derive::Shape::PairMap { key: #key });
    let struct_array = |elem: TokenStream| {
        quote! {{
            <#elem as #krate::Message>::describe(b);
            #krate::derive::FieldForm {
                ty: #krate::derive::TypeRef::Struct(<#elem as #krate::Message>::TYPE_NAME),
                shape: #krate::derive::Shape::Array,
            }
        }}
    };
    match &f.kind {
        Kind::Plain => desc(
            quote_spanned!(ty.span()=> <#ty as #krate::derive::Field<'_>>::form(b)),
            None,
        ),
        Kind::Decimal(n) => desc(
            quote_spanned!(ty.span()=> <#ty as #krate::derive::DecimalField>::decimal_form(b, #n)),
            None,
        ),
        Kind::KeyedMap { key, value_ty, .. } => {
            let tag_const = hidden_ident("__SPROTO_TAG_", &key.value(), key.span());
            desc(
                struct_array(quote!(#value_ty)),
                Some(keyed(quote_spanned!(key.span()=> <#value_ty>::#tag_const))),
            )
        }
        Kind::KeyedList { key, value_ty } => {
            let tag_const = hidden_ident("__SPROTO_TAG_", &key.value(), key.span());
            desc(
                quote_spanned!(ty.span()=> <#ty as #krate::derive::Field<'_>>::form(b)),
                Some(keyed(quote_spanned!(key.span()=> <#value_ty>::#tag_const))),
            )
        }
        Kind::PairList { entry, elem_ty } => desc(
            quote! {{
                // The list's elements are the entry type.
                let _: ::core::marker::PhantomData<#entry> = ::core::marker::PhantomData::<#elem_ty>;
                <#ty as #krate::derive::Field<'_>>::form(b)
            }},
            Some(pair(
                quote_spanned!(entry.span()=> <#entry>::__SPROTO_PAIR_KEY_TAG),
            )),
        ),
        Kind::PairMap { entry, .. } => desc(
            struct_array(quote!(#entry)),
            Some(pair(
                quote_spanned!(entry.span()=> <#entry as #krate::derive::PairEntry>::KEY_TAG),
            )),
        ),
    }
}
