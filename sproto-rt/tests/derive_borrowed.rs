//! Property tests of borrowed (zero-copy) decoding: a struct with a lifetime reads
//! the same values as its owned twin, writes the same bytes, points into its input,
//! and accepts and refuses exactly the inputs the owned decoder does — with its
//! arrays as `Vec`s and as `ArrayRef`s (read in place).

use std::borrow::Cow;

use proptest::prelude::*;
use sproto_rt::{ArrayRef, Message, MessageRef, Sproto};

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Leaf {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    label: Option<String>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Leaf")]
struct LeafRef<'a> {
    #[sproto(tag = 0)]
    id: i64,
    #[sproto(tag = 1)]
    label: Option<&'a str>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Node {
    #[sproto(tag = 0)]
    text: String,
    #[sproto(tag = 1)]
    blob: Vec<u8>,
    #[sproto(tag = 2)]
    note: Option<String>,
    #[sproto(tag = 3)]
    raw: Option<Vec<u8>>,
    #[sproto(tag = 4)]
    texts: Vec<String>,
    #[sproto(tag = 5)]
    blobs: Vec<Vec<u8>>,
    #[sproto(tag = 6)]
    ints: Vec<i64>,
    #[sproto(tag = 7)]
    leaf: Option<Leaf>,
    #[sproto(tag = 8)]
    leaves: Vec<Leaf>,
    #[sproto(tag = 9)]
    owned_leaf: Leaf,
    #[sproto(tag = 10, key = "id")]
    keyed: Vec<Leaf>,
    #[sproto(tag = 12)]
    child: Option<Box<Node>>,
}

/// `Node` borrowing every string and binary it can.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Node")]
struct NodeRef<'a> {
    #[sproto(tag = 0)]
    text: &'a str,
    #[sproto(tag = 1)]
    blob: &'a [u8],
    #[sproto(tag = 2)]
    note: Option<Cow<'a, str>>,
    #[sproto(tag = 3)]
    raw: Option<Cow<'a, [u8]>>,
    #[sproto(tag = 4)]
    texts: Vec<&'a str>,
    #[sproto(tag = 5)]
    blobs: Vec<&'a [u8]>,
    #[sproto(tag = 6)]
    ints: Vec<i64>,
    #[sproto(tag = 7)]
    leaf: Option<LeafRef<'a>>,
    #[sproto(tag = 8)]
    leaves: Vec<LeafRef<'a>>,
    /// An owned struct inside a borrowed one.
    #[sproto(tag = 9)]
    owned_leaf: Leaf,
    #[sproto(tag = 10, key = "id")]
    keyed: Vec<LeafRef<'a>>,
    #[sproto(tag = 12)]
    child: Option<Box<NodeRef<'a>>>,
}

/// `Node` with its string, binary and struct arrays read in place.
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Node")]
struct NodeView<'a> {
    #[sproto(tag = 0)]
    text: &'a str,
    #[sproto(tag = 1)]
    blob: &'a [u8],
    #[sproto(tag = 2)]
    note: Option<Cow<'a, str>>,
    #[sproto(tag = 3)]
    raw: Option<Cow<'a, [u8]>>,
    #[sproto(tag = 4)]
    texts: ArrayRef<'a, &'a str>,
    #[sproto(tag = 5)]
    blobs: ArrayRef<'a, Cow<'a, [u8]>>,
    #[sproto(tag = 6)]
    ints: Vec<i64>,
    #[sproto(tag = 7)]
    leaf: Option<LeafRef<'a>>,
    #[sproto(tag = 8)]
    leaves: ArrayRef<'a, LeafRef<'a>>,
    #[sproto(tag = 9)]
    owned_leaf: Leaf,
    #[sproto(tag = 10, key = "id")]
    keyed: Vec<LeafRef<'a>>,
    #[sproto(tag = 12)]
    child: Option<Box<NodeView<'a>>>,
}

/// A tree whose children are an array of trees: `ArrayRef`s inside the elements of
/// an `ArrayRef` (what iterating decodes again without checking again).
#[derive(Sproto, Debug, Default, Clone, PartialEq)]
struct Tree {
    #[sproto(tag = 0)]
    name: String,
    #[sproto(tag = 1)]
    names: Vec<String>,
    #[sproto(tag = 2)]
    kids: Vec<Tree>,
}

#[derive(Sproto, Debug, Default, Clone, PartialEq)]
#[sproto(name = "Tree")]
struct TreeView<'a> {
    #[sproto(tag = 0)]
    name: &'a str,
    #[sproto(tag = 1)]
    names: ArrayRef<'a, &'a str>,
    #[sproto(tag = 2)]
    kids: ArrayRef<'a, TreeView<'a>>,
}

fn tree_of(t: &TreeView<'_>) -> Tree {
    Tree {
        name: t.name.to_string(),
        names: t.names.iter().map(str::to_string).collect(),
        kids: t.kids.iter().map(|k| tree_of(&k)).collect(),
    }
}

fn tree(depth: u32) -> BoxedStrategy<Tree> {
    let kids = if depth == 0 {
        Just(Vec::new()).boxed()
    } else {
        proptest::collection::vec(tree(depth - 1), 0..3).boxed()
    };
    (".{0,4}", proptest::collection::vec(".{0,3}", 0..3), kids)
        .prop_map(|(name, names, kids)| Tree { name, names, kids })
        .boxed()
}

fn leaf_of(l: &LeafRef<'_>) -> Leaf {
    Leaf {
        id: l.id,
        label: l.label.map(str::to_string),
    }
}

/// The owned value a borrowed one reads as.
fn owned(n: &NodeRef<'_>) -> Node {
    Node {
        text: n.text.to_string(),
        blob: n.blob.to_vec(),
        note: n.note.as_ref().map(|c| c.to_string()),
        raw: n.raw.as_ref().map(|c| c.to_vec()),
        texts: n.texts.iter().map(|s| s.to_string()).collect(),
        blobs: n.blobs.iter().map(|b| b.to_vec()).collect(),
        ints: n.ints.clone(),
        leaf: n.leaf.as_ref().map(leaf_of),
        leaves: n.leaves.iter().map(leaf_of).collect(),
        owned_leaf: n.owned_leaf.clone(),
        keyed: n.keyed.iter().map(leaf_of).collect(),
        child: n.child.as_ref().map(|c| Box::new(owned(c))),
    }
}

/// The owned value an `ArrayRef` view reads as.
fn owned_view(n: &NodeView<'_>) -> Node {
    Node {
        text: n.text.to_string(),
        blob: n.blob.to_vec(),
        note: n.note.as_ref().map(|c| c.to_string()),
        raw: n.raw.as_ref().map(|c| c.to_vec()),
        texts: n.texts.iter().map(|s| s.to_string()).collect(),
        blobs: n.blobs.iter().map(|b| b.to_vec()).collect(),
        ints: n.ints.clone(),
        leaf: n.leaf.as_ref().map(leaf_of),
        leaves: n.leaves.iter().map(|l| leaf_of(&l)).collect(),
        owned_leaf: n.owned_leaf.clone(),
        keyed: n.keyed.iter().map(leaf_of).collect(),
        child: n.child.as_ref().map(|c| Box::new(owned_view(c))),
    }
}

fn leaf() -> impl Strategy<Value = Leaf> {
    (any::<i64>(), proptest::option::of(".{0,6}")).prop_map(|(id, label)| Leaf { id, label })
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..8)
}

fn node(depth: u32) -> BoxedStrategy<Node> {
    let child = if depth == 0 {
        Just(None).boxed()
    } else {
        proptest::option::of(node(depth - 1).prop_map(Box::new)).boxed()
    };
    (
        (
            ".{0,8}",
            bytes(),
            proptest::option::of(".{0,8}"),
            proptest::option::of(bytes()),
            proptest::collection::vec(".{0,4}", 0..4),
            proptest::collection::vec(bytes(), 0..3),
        ),
        (
            proptest::collection::vec(any::<i64>(), 0..4),
            proptest::option::of(leaf()),
            proptest::collection::vec(leaf(), 0..3),
            leaf(),
            proptest::collection::vec(leaf(), 0..3),
            child,
        ),
    )
        .prop_map(
            |(
                (text, blob, note, raw, texts, blobs),
                (ints, leaf, leaves, owned_leaf, keyed, child),
            )| {
                Node {
                    text,
                    blob,
                    note,
                    raw,
                    texts,
                    blobs,
                    ints,
                    leaf,
                    leaves,
                    owned_leaf,
                    keyed,
                    child,
                }
            },
        )
        .boxed()
}

/// Every string and binary of a borrowed value points into `input`.
fn borrows_from(n: &NodeRef<'_>, input: &[u8]) -> bool {
    let inside = |b: &[u8]| b.is_empty() || input.as_ptr_range().contains(&b.as_ptr());
    inside(n.text.as_bytes())
        && inside(n.blob)
        && n.note.as_ref().map_or(
            true,
            |c| matches!(c, Cow::Borrowed(s) if inside(s.as_bytes())),
        )
        && n.raw
            .as_ref()
            .map_or(true, |c| matches!(c, Cow::Borrowed(b) if inside(b)))
        && n.texts.iter().all(|s| inside(s.as_bytes()))
        && n.blobs.iter().all(|b| inside(b))
        && n.leaves
            .iter()
            .chain(&n.keyed)
            .chain(&n.leaf)
            .all(|l| l.label.map_or(true, |s| inside(s.as_bytes())))
        && n.child.as_ref().map_or(true, |c| borrows_from(c, input))
}

proptest! {
    #[test]
    fn borrowed_reads_what_owned_reads(x in node(2)) {
        let bytes = x.encode();
        let (y, used) = NodeRef::decode_with_len(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(owned(&y), x.clone());
        prop_assert!(borrows_from(&y, &bytes));
        // Same bytes back, and the same schema.
        prop_assert_eq!(y.encode(), bytes.clone());

        let (v, used) = NodeView::decode_with_len(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(owned_view(&v), x.clone());
        prop_assert_eq!(v.texts.len(), x.texts.len());
        prop_assert_eq!(v.leaves.len(), x.leaves.len());
        prop_assert!(v.texts.iter().all(|s| s.is_empty() || bytes.as_ptr_range().contains(&s.as_ptr())));
        prop_assert_eq!(v.encode(), bytes);
    }

    #[test]
    fn array_views_of_array_views(x in tree(3)) {
        let bytes = x.encode();
        let (v, used) = TreeView::decode_with_len(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(tree_of(&v), x.clone());
        prop_assert_eq!(v.encode(), bytes.clone());
        // Iterating twice reads the same.
        prop_assert_eq!(v.kids.to_vec(), v.kids.iter().collect::<Vec<_>>());
    }

    #[test]
    fn array_views_accept_what_vecs_accept(x in tree(2),
                                           junk in proptest::collection::vec(any::<u8>(), 0..128),
                                           flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut mutated = x.encode();
        for (at, v) in flips {
            let i = at.index(mutated.len());
            mutated[i] = v;
        }
        for input in [&mutated, &junk] {
            match (Tree::decode_with_len(input), TreeView::decode_with_len(input)) {
                (Ok((a, n)), Ok((b, m))) => {
                    prop_assert_eq!(n, m);
                    prop_assert_eq!(tree_of(&b), a);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "owned {:?} but view {:?}", a, b),
            }
        }
    }

    #[test]
    fn borrowed_and_owned_accept_the_same_inputs(x in node(1),
                                                  junk in proptest::collection::vec(any::<u8>(), 0..128),
                                                  flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut mutated = x.encode();
        for (at, v) in flips {
            let i = at.index(mutated.len());
            mutated[i] = v;
        }
        for input in [&mutated, &junk] {
            match (Node::decode_with_len(input), NodeRef::decode_with_len(input)) {
                (Ok((a, n)), Ok((b, m))) => {
                    prop_assert_eq!(n, m);
                    prop_assert_eq!(owned(&b), a);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "owned {:?} but borrowed {:?}", a, b),
            }
            match (Node::decode_with_len(input), NodeView::decode_with_len(input)) {
                (Ok((a, n)), Ok((b, m))) => {
                    prop_assert_eq!(n, m);
                    prop_assert_eq!(owned_view(&b), a);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "owned {:?} but view {:?}", a, b),
            }
        }
    }
}

#[test]
fn borrowed_schema_is_the_owned_schema() {
    let a: Sproto = Node::schema().expect("builds");
    let b: Sproto = NodeRef::schema().expect("builds");
    assert_eq!(a.to_bundle().unwrap(), b.to_bundle().unwrap());
    let c: Sproto = NodeView::schema().expect("builds");
    assert_eq!(a.to_bundle().unwrap(), c.to_bundle().unwrap());
    let t: Sproto = Tree::schema().expect("builds");
    let u: Sproto = TreeView::schema().expect("builds");
    assert_eq!(t.to_bundle().unwrap(), u.to_bundle().unwrap());
}

/// Nesting past the limit fails the same way through `ArrayRef`s as through `Vec`s.
#[test]
fn array_views_refuse_deep_nesting_as_vecs_do() {
    let mut t = Tree::default();
    for i in 0..70 {
        t = Tree {
            name: format!("{i}"),
            names: vec![],
            kids: vec![t],
        };
    }
    let bytes = t.encode();
    let a = Tree::decode(&bytes).expect_err("too deep");
    let b = TreeView::decode(&bytes).expect_err("too deep");
    assert_eq!(a.to_string(), b.to_string());
}
