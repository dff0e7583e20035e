//! Code generation for `#[derive(Sproto)]`: the `Message` impl (static codec and
//! schema description), the `Field` and `Element` impls that let the type be a field
//! or an array element of other types, hidden key accessors for maps keyed by its
//! fields, and `PairEntry` for two-field types.

mod fields;

use proc_macro2::TokenStream;
use quote::quote;

use crate::internals::ast::{hidden_ident, Container, FieldModel, Kind};
use crate::internals::check::path_generics;

pub fn expand(c: &Container<'_>) -> TokenStream {
    let krate = &c.krate;
    let ident = c.ident;
    let type_name = &c.type_name;
    // One home for the slot rule: sproto-rt's const fn, evaluated at compile time.
    let tags = c.fields.iter().map(|f| f.tag);
    let max_slots = quote!(#krate::wire::max_slots(&[#(#tags),*]));
    let encode = c.fields.iter().map(|f| fields::encode(krate, f));
    let (decl, build): (Vec<_>, Vec<_>) = c
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| fields::decode(krate, f, i))
        .unzip();
    let skipped = c
        .skipped
        .iter()
        .map(|s| quote!(#s: ::core::default::Default::default()));
    let construct = if c.unit {
        quote!(#ident)
    } else {
        quote!(#ident { #(#build,)* #(#skipped,)* })
    };
    let describe = c.fields.iter().map(|f| fields::describe(krate, f));
    let accessors = c.fields.iter().map(|f| {
        let method = hidden_ident("__sproto_key_", &f.name, f.ident.span());
        let tag_const = hidden_ident("__SPROTO_TAG_", &f.name, f.ident.span());
        let (field, ty, tag) = (f.ident, f.ty, f.tag);
        quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, dead_code)]
            pub fn #method(&self) -> &#ty {
                &self.#field
            }
            #[doc(hidden)]
            #[allow(non_upper_case_globals, dead_code)]
            pub const #tag_const: u16 = #tag;
        }
    });
    let pair_key_tag = match c.fields.as_slice() {
        [k, _] => {
            let tag = k.tag;
            quote! {
                #[doc(hidden)]
                #[allow(dead_code)]
                pub const __SPROTO_PAIR_KEY_TAG: u16 = #tag;
            }
        }
        _ => quote!(),
    };
    // A struct without fields reads no field, so the generated fns leave their
    // encoder, depth and builder arguments unused.
    let no_fields = if decl.is_empty() {
        quote!(#[allow(unused_variables)])
    } else {
        quote!()
    };
    let builder = if decl.is_empty() {
        quote!(_)
    } else {
        quote!(b)
    };
    let loop_fields = if decl.is_empty() {
        quote! {
            while reader.next_field()?.is_some() {}
        }
    } else {
        quote! {
            #(#decl)*
            // Unknown tags after the last field (checked, skipped).
            while reader.next_field()?.is_some() {}
        }
    };
    let (impl_generics, ty_generics, where_clause) = c.generics.split_for_impl();
    let this = quote!(#ident #ty_generics);
    // Owned types decode from input of any lifetime; borrowed ones from their own.
    let (de, codec_generics) = match &c.lifetime {
        Some(lt) => (quote!(#lt), quote!(#impl_generics)),
        None => (quote!('de), quote!(<'de>)),
    };
    let encode_fields = quote! {
        #[inline]
        #no_fields
        fn encode_fields(&self, st: &mut #krate::derive::StructWriter<'_>) {
            #(#encode)*
        }
    };
    let decode_reader = |lt: TokenStream| {
        quote! {
            #[inline]
            #no_fields
            fn decode_reader(
                reader: #krate::derive::StructReader<#lt>,
                depth: usize,
            ) -> ::core::result::Result<(Self, usize), #krate::DecodeError> {
                let mut reader = reader;
                #loop_fields
                ::core::result::Result::Ok((#construct, reader.consumed()))
            }
        }
    };
    let describe_fn = quote! {
        fn describe(b: &mut #krate::derive::SchemaBuilder) {
            b.add_type(#type_name, |#builder| {
                ::std::vec![#(#describe),*]
            });
        }
    };
    let (message_impl, message_trait) = match &c.lifetime {
        None => {
            let decode_reader = decode_reader(quote!('_));
            (
                quote! {
                    impl #krate::Message for #ident {
                        const TYPE_NAME: &'static str = #type_name;
                        const MAX_SLOTS: usize = #max_slots;

                        #encode_fields

                        fn decode_fields(
                            view: &#krate::derive::StructView<'_>,
                            depth: usize,
                        ) -> ::core::result::Result<Self, #krate::DecodeError> {
                            <Self as #krate::Message>::decode_reader(view.reader(), depth)
                                .map(|(v, _)| v)
                        }

                        #decode_reader

                        #describe_fn
                    }
                },
                quote!(#krate::Message),
            )
        }
        Some(lt) => {
            let decode_reader = decode_reader(quote!(#lt));
            (
                quote! {
                    impl #impl_generics #krate::MessageRef<#lt> for #this #where_clause {
                        const TYPE_NAME: &'static str = #type_name;
                        const MAX_SLOTS: usize = #max_slots;

                        #encode_fields

                        #decode_reader

                        #describe_fn
                    }
                },
                quote!(#krate::MessageRef<#lt>),
            )
        }
    };
    let pair = if c.lifetime.is_none() {
        pair_entry(c)
    } else {
        quote!()
    };
    quote! {
        #[allow(clippy::all, unused_qualifications)]
        const _: () = {
            #message_impl

            impl #codec_generics #krate::derive::StructCodec<#de> for #this #where_clause {
                const MAX_SLOTS: usize = <Self as #message_trait>::MAX_SLOTS;
                #[inline(always)]
                fn encode_fields(&self, st: &mut #krate::derive::StructWriter<'_>) {
                    <Self as #message_trait>::encode_fields(self, st)
                }
                #[inline(always)]
                fn decode_reader(
                    reader: #krate::derive::StructReader<#de>,
                    depth: usize,
                ) -> ::core::result::Result<(Self, usize), #krate::DecodeError> {
                    <Self as #message_trait>::decode_reader(reader, depth)
                }
            }

            impl #codec_generics #krate::derive::Field<#de> for #this #where_clause {
                #[inline]
                fn encode_field(&self, st: &mut #krate::derive::StructWriter<'_>, tag: u16) {
                    #krate::derive::encode_struct_field(self, st, tag)
                }
                #[inline]
                fn decode_field(
                    slot: #krate::derive::SlotValue<#de>,
                    offset: usize,
                    depth: usize,
                ) -> ::core::result::Result<Self, #krate::DecodeError> {
                    #krate::derive::decode_struct_field(slot, offset, depth)
                }
                fn form(b: &mut #krate::derive::SchemaBuilder) -> #krate::derive::FieldForm {
                    <Self as #message_trait>::describe(b);
                    #krate::derive::FieldForm {
                        ty: #krate::derive::TypeRef::Struct(#type_name),
                        shape: #krate::derive::Shape::One,
                    }
                }
            }

            impl #codec_generics #krate::derive::Element<#de> for #this #where_clause {
                #[inline]
                fn encode_array(items: &[Self], w: &mut #krate::derive::Writer) {
                    #krate::derive::encode_struct_array(items, w)
                }
                fn decode_array(
                    data: &#de [u8],
                    base: usize,
                    depth: usize,
                ) -> ::core::result::Result<::std::vec::Vec<Self>, #krate::DecodeError> {
                    #krate::derive::decode_struct_array(data, base, depth)
                }
                fn element_type(b: &mut #krate::derive::SchemaBuilder) -> #krate::derive::TypeRef {
                    <Self as #message_trait>::describe(b);
                    #krate::derive::TypeRef::Struct(#type_name)
                }
            }

            impl #codec_generics #krate::derive::BlockElement<#de> for #this #where_clause {
                #[inline]
                fn decode_element(
                    bytes: &#de [u8],
                    at: usize,
                    depth: usize,
                ) -> ::core::result::Result<Self, #krate::DecodeError> {
                    #krate::derive::decode_struct_element(bytes, at, depth)
                }
                #[inline]
                fn encode_element(&self, w: &mut #krate::derive::Writer) {
                    #krate::derive::encode_struct_element(self, w)
                }
            }

            impl #impl_generics #this #where_clause {
                #(#accessors)*
                #pair_key_tag
            }

            #pair
        };
    }
}

/// `PairEntry` for types with exactly two fields encoded plainly or as decimals: the
/// one with the smaller tag is the key. An `Option<T>` field is a `T` part (an entry
/// needs both parts).
fn pair_entry(c: &Container<'_>) -> TokenStream {
    let [k, v] = match c.fields.as_slice() {
        [k, v] => [k, v],
        _ => return quote!(),
    };
    let (Some((kt, kenc, kdec)), Some((vt, venc, vdec))) =
        (pair_part(c, k, true), pair_part(c, v, false))
    else {
        return quote!();
    };
    let krate = &c.krate;
    let ident = c.ident;
    let (ktag, vtag) = (k.tag, v.tag);
    let (kname, vname) = (&k.name, &v.name);
    quote! {
        impl #krate::derive::PairEntry for #ident {
            type Key = #kt;
            type Value = #vt;
            const KEY_TAG: u16 = #ktag;

            fn encode_pair(key: &#kt, value: &#vt, w: &mut #krate::derive::Writer) {
                let mut st = #krate::derive::StructWriter::begin(w, <Self as #krate::Message>::MAX_SLOTS);
                #kenc
                #venc
                st.finish();
            }

            fn decode_pair(
                view: &#krate::derive::StructView<'_>,
                depth: usize,
            ) -> ::core::result::Result<(#kt, #vt), #krate::DecodeError> {
                let mut key = ::core::option::Option::None;
                let mut value = ::core::option::Option::None;
                for slot in view.fields() {
                    let offset = view.slot_offset(slot.index);
                    if slot.tag == #ktag as u32 {
                        #krate::derive::check_depth(depth, offset)?;
                        key = ::core::option::Option::Some((#kdec).map_err(|e| e.in_field(#kname))?);
                    } else if slot.tag == #vtag as u32 {
                        #krate::derive::check_depth(depth, offset)?;
                        value = ::core::option::Option::Some((#vdec).map_err(|e| e.in_field(#vname))?);
                    }
                }
                match (key, value) {
                    (::core::option::Option::Some(k), ::core::option::Option::Some(v)) => ::core::result::Result::Ok((k, v)),
                    (k, _) => ::core::result::Result::Err(#krate::derive::missing_pair_part(view.offset(), k.is_none())),
                }
            }
        }
    }
}

/// One part of a pair entry: its Rust type (without `Option`), the statement writing
/// `key` (or `value`) into `st`, and the expression reading it from `slot`.
fn pair_part(
    c: &Container<'_>,
    f: &FieldModel<'_>,
    is_key: bool,
) -> Option<(syn::Type, TokenStream, TokenStream)> {
    let krate = &c.krate;
    let tag = f.tag;
    let ty = match path_generics(f.ty) {
        Some((n, args)) if n == "Option" && args.len() == 1 => args[0].clone(),
        _ => f.ty.clone(),
    };
    let var = if is_key { quote!(key) } else { quote!(value) };
    match &f.kind {
        Kind::Plain => Some((
            ty.clone(),
            quote!(<#ty as #krate::derive::Field<'_>>::encode_field(#var, &mut st, #tag);),
            quote!(<#ty as #krate::derive::Field<'_>>::decode_field(slot.value, offset, depth)),
        )),
        Kind::Decimal(n) => Some((
            ty.clone(),
            quote!(<#ty as #krate::derive::DecimalField>::encode_decimal(#var, &mut st, #tag, #n);),
            quote!(<#ty as #krate::derive::DecimalField>::decode_decimal(slot.value, offset, #n)),
        )),
        _ => None,
    }
}
