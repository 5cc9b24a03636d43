//! The manager hierarchy's one rule: a manager chain must not loop.

use std::collections::HashMap;
use std::hash::Hash;

/// Returns every node that lies on a cycle of the `manager` relation, in no particular order.
///
/// `manager` maps each node to its manager (nodes without a manager are absent). A node whose
/// chain merely leads into a loop is not itself reported: only the loop's members are. Runs in
/// linear time with one colouring pass, so 100,000 identities cost milliseconds.
pub fn find_manager_loops<K: Eq + Hash + Clone>(manager: &HashMap<K, K>) -> Vec<K> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        OnPath(usize),
        Done,
    }
    let mut state: HashMap<&K, State> = HashMap::with_capacity(manager.len());
    let mut in_loop = Vec::new();
    let mut path: Vec<&K> = Vec::new();

    for start in manager.keys() {
        if state.contains_key(start) {
            continue;
        }
        path.clear();
        let mut cur = start;
        loop {
            match state.get(cur) {
                Some(State::Done) => break,
                Some(State::OnPath(pos)) => {
                    // Everything on the path from `pos` onward forms the loop.
                    in_loop.extend(path[*pos..].iter().map(|k| (*k).clone()));
                    break;
                }
                None => {}
            }
            state.insert(cur, State::OnPath(path.len()));
            path.push(cur);
            match manager.get(cur) {
                Some(next) => cur = next,
                None => break,
            }
        }
        for k in &path {
            state.insert(k, State::Done);
        }
    }
    in_loop
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn loops(pairs: &[(&str, &str)]) -> Vec<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut found = find_manager_loops(&map);
        found.sort();
        found
    }

    #[test]
    fn a_tree_has_no_loop() {
        assert!(loops(&[("b", "a"), ("c", "a"), ("d", "b")]).is_empty());
    }

    #[test]
    fn self_management_is_a_loop() {
        assert_eq!(loops(&[("a", "a"), ("b", "a")]), ["a"]);
    }

    #[test]
    fn only_loop_members_are_reported() {
        // x -> y -> z -> y: x leads into the loop but is not part of it.
        assert_eq!(loops(&[("x", "y"), ("y", "z"), ("z", "y")]), ["y", "z"]);
    }

    proptest! {
        /// Every reported node reaches itself again; every unreported node does not.
        #[test]
        fn reports_exactly_the_nodes_on_cycles(edges in proptest::collection::vec((0u8..20, 0u8..20), 0..30)) {
            let map: HashMap<u8, u8> = edges.into_iter().collect();
            let found: std::collections::HashSet<u8> = find_manager_loops(&map).into_iter().collect();
            for &start in map.keys() {
                let mut cur = start;
                let mut on_cycle = false;
                for _ in 0..=map.len() {
                    match map.get(&cur) {
                        Some(&n) => cur = n,
                        None => break,
                    }
                    if cur == start {
                        on_cycle = true;
                        break;
                    }
                }
                prop_assert_eq!(found.contains(&start), on_cycle, "node {}", start);
            }
        }
    }
}
