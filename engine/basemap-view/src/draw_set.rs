//! Which loaded tiles to draw for a selection: a chosen tile not loaded yet
//! is covered by its nearest loaded ancestor, and then nothing inside that
//! ancestor is drawn beside it, so no two drawn tiles ever overlap (both
//! lie on the same surface and would fight for depth); nor is a tile drawn
//! inside another chosen one (a parent standing in for a child the source
//! lacks covers that child's siblings too).

use std::collections::HashSet;

use sontinh_basemap::TileId;

/// The tiles to draw: `selected` where loaded, else their nearest ancestor
/// for which `loaded` holds; never a tile together with one inside it.
pub fn draw_set(selected: &[TileId], loaded: &dyn Fn(TileId) -> bool) -> Vec<TileId> {
    let mut cover: HashSet<TileId> = HashSet::new();
    let mut ready = Vec::new();
    for &tile in selected {
        if loaded(tile) {
            ready.push(tile);
            continue;
        }
        let mut up = tile.parent();
        while let Some(a) = up {
            if loaded(a) {
                cover.insert(a);
                break;
            }
            up = a.parent();
        }
    }
    // An ancestor inside another ancestor adds nothing.
    let outer: Vec<TileId> = cover
        .iter()
        .copied()
        .filter(|c| !cover.iter().any(|o| o != c && c.is_within(*o)))
        .collect();
    let mut drawn: Vec<TileId> = ready.into_iter().filter(|t| !outer.iter().any(|o| t.is_within(*o))).collect();
    drawn.extend(outer);
    // A tile chosen in place of a missing child may hold other chosen tiles
    // (the child's siblings): the larger one is drawn alone.
    let all = drawn.clone();
    drawn.retain(|t| !all.iter().any(|o| o != t && t.is_within(*o)));
    drawn
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::draw_set;
    use sontinh_basemap::TileId;

    fn t(z: u8, x: u32, y: u32) -> TileId {
        TileId { z, x, y }
    }

    #[test]
    fn parents_stand_in_for_children_still_loading_without_overlap() {
        // Selected: the four children of 3/2/2 and a neighbour 3/3/2.
        let selected = [t(4, 4, 4), t(4, 5, 4), t(4, 4, 5), t(4, 5, 5), t(3, 3, 2)];
        // Only one child and the zoom-2 ancestor are loaded, plus the neighbour.
        let loaded = |x: TileId| [t(4, 4, 4), t(2, 1, 1), t(3, 3, 2)].contains(&x);
        let mut drawn = draw_set(&selected, &loaded);
        drawn.sort();
        // 2/1/1 covers 3/2/2 and 3/3/2 (both inside it): the loaded child and neighbour wait.
        assert_eq!(drawn, vec![t(2, 1, 1)]);
        // Everything loaded: exactly the selection.
        let all = |_| true;
        let mut drawn = draw_set(&selected, &all);
        drawn.sort();
        let mut want = selected.to_vec();
        want.sort();
        assert_eq!(drawn, want);
        // Nothing loaded: nothing drawn.
        assert!(draw_set(&selected, &|_| false).is_empty());
        // A parent standing in for a child the source lacks, beside that child's loaded siblings.
        let mut drawn = draw_set(&[t(4, 5, 4), t(3, 2, 2), t(4, 4, 5)], &all);
        drawn.sort();
        assert_eq!(drawn, vec![t(3, 2, 2)]);
    }
}
