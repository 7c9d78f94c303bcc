//! The icon of each [`Look`], drawn here as ARGB32 pixmaps: a coloured disc (a pause sign on
//! it while paused), so the tray needs no icon theme and looks the same on every desktop.

use crate::look::Look;

/// The sizes published; the host scales the nearest.
const SIZES: [i32; 3] = [16, 22, 32];

/// Opaque ARGB of each look's disc.
fn colour(look: Look) -> [u8; 4] {
    match look {
        Look::Idle => [0xff, 0x8a, 0x8f, 0x98],
        Look::Polling => [0xff, 0x2f, 0x7d, 0xd1],
        Look::Executing => [0xff, 0x2e, 0xa0, 0x43],
        Look::Paused => [0xff, 0xd9, 0x8c, 0x1f],
        Look::Error => [0xff, 0xd0, 0x2f, 0x2f],
    }
}

const WHITE: [u8; 4] = [0xff, 0xff, 0xff, 0xff];
const CLEAR: [u8; 4] = [0, 0, 0, 0];

/// The pixmaps of `look`, one per size.
pub(crate) fn pixmaps(look: Look) -> Vec<ksni::Icon> {
    SIZES.iter().map(|&size| pixmap(look, size)).collect()
}

fn pixmap(look: Look, size: i32) -> ksni::Icon {
    let mut data = Vec::with_capacity(usize::try_from(size * size * 4).unwrap_or_default());
    for y in 0..size {
        for x in 0..size {
            data.extend_from_slice(&pixel(look, size, x, y));
        }
    }
    ksni::Icon { width: size, height: size, data }
}

fn pixel(look: Look, size: i32, x: i32, y: i32) -> [u8; 4] {
    // Centres of pixels, in doubled coordinates to stay in integers.
    let (cx, cy, r) = (2 * x + 1 - size, 2 * y + 1 - size, size - 1);
    if cx * cx + cy * cy > r * r {
        return CLEAR;
    }
    if look == Look::Paused && pause_bar(size, x, y) {
        return WHITE;
    }
    colour(look)
}

/// Two vertical bars across the middle third.
fn pause_bar(size: i32, x: i32, y: i32) -> bool {
    let third = size / 3;
    let (left, right) = (size / 2 - third / 2 - 1, size / 2 + third / 2);
    let bar = (size / 8).max(1);
    (third..size - third).contains(&y)
        && ((left..left + bar).contains(&x) || (right - bar + 1..=right).contains(&x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(icon: &ksni::Icon, x: i32, y: i32) -> [u8; 4] {
        let i = usize::try_from((y * icon.width + x) * 4).unwrap();
        icon.data[i..i + 4].try_into().unwrap()
    }

    #[test]
    fn each_look_has_its_own_colour_in_every_size() {
        let looks = [Look::Idle, Look::Polling, Look::Executing, Look::Paused, Look::Error];
        for look in looks {
            for icon in pixmaps(look) {
                assert_eq!(icon.data.len(), usize::try_from(icon.width * icon.height * 4).unwrap());
                assert_eq!(at(&icon, 0, 0), CLEAR, "{look}: corners are transparent");
                assert_eq!(at(&icon, icon.width / 2, 1), colour(look), "{look}: the disc's top");
            }
        }
        let mut colours: Vec<[u8; 4]> = looks.iter().map(|&l| colour(l)).collect();
        colours.dedup();
        assert_eq!(colours.len(), looks.len());
    }

    #[test]
    fn only_the_paused_icon_carries_the_pause_sign() {
        let white = |look| pixmaps(look).iter().any(|icon| icon.data.chunks(4).any(|p| p == WHITE));
        assert!(white(Look::Paused));
        assert!(!white(Look::Polling));
    }
}
