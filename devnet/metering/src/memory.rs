//! Nitro's memory model (`arbos/programs/memory.go`): what opening WASM pages costs in gas.
//!
//! A transaction tracks two numbers: the pages currently `open` across its active Stylus frames
//! and the most pages it has `ever` had open. A few pages are free; beyond them each newly opened
//! page pays a linear `page_gas`, and raising the high-water mark pays the difference of an
//! exponential table that reaches about 31.9M gas at 128 pages (8 MiB).

/// Pages a transaction gets for free (`InitialFreePages`).
pub const FREE_PAGES: u16 = 2;
/// Linear gas per page opened beyond the free ones (`InitialPageGas`).
pub const PAGE_GAS: u32 = 1000;
/// Largest memory a program may start with, in pages (`initialPageLimit`).
pub const PAGE_LIMIT: u16 = 128;

/// Gas of the high-water mark reaching `index` pages; beyond the table the cost is `u64::MAX`.
/// The values are the consensus constants of `memoryExponents`.
pub const MEMORY_EXPONENTS: [u32; 129] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38,
    43, 50, 57, 65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569,
    651, 745, 853, 976, 1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932,
    5645, 6461, 7395, 8464, 9687, 11087, 12689, 14523, 16621, 19024, 21773, 24919, 28521, 32642,
    37359, 42758, 48938, 56010, 64104, 73368, 83971, 96106, 109994, 125890, 144082, 164904, 188735,
    216010, 247226, 282953, 323844, 370643, 424206, 485509, 555672, 635973, 727880, 833067, 953456,
    1091243, 1248941, 1429429, 1636000, 1872423, 2143012, 2452704, 2807151, 3212820, 3677113,
    4208502, 4816684, 5512756, 6309419, 7221210, 8264766, 9459129, 10826093, 12390601, 14181199,
    16230562, 18576084, 21260563, 24332984, 27849408, 31873999,
];

/// The chain's memory pricing parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryModel {
    pub free_pages: u16,
    pub page_gas: u32,
}

impl Default for MemoryModel {
    fn default() -> Self {
        Self {
            free_pages: FREE_PAGES,
            page_gas: PAGE_GAS,
        }
    }
}

impl MemoryModel {
    /// Gas for opening `new` pages while `open` are open and `ever` were the most ever open.
    pub fn gas_cost(&self, new: u16, open: u16, ever: u16) -> u64 {
        let new_open = open.saturating_add(new);
        let new_ever = ever.max(new_open);
        if new_ever <= self.free_pages {
            return 0;
        }
        let beyond_free = |pages: u16| pages.saturating_sub(self.free_pages);
        let adding = beyond_free(new_open).saturating_sub(beyond_free(open));
        let linear = u64::from(adding).saturating_mul(u64::from(self.page_gas));
        // Both ends past the table cost u64::MAX, so a mark already beyond it adds nothing.
        let expand = exponent(new_ever).saturating_sub(exponent(ever));
        linear.saturating_add(expand)
    }
}

fn exponent(pages: u16) -> u64 {
    MEMORY_EXPONENTS
        .get(usize::from(pages))
        .map_or(u64::MAX, |&gas| u64::from(gas))
}

/// [`MemoryModel::gas_cost`] with Arbitrum's parameters (2 free pages, 1000 gas per page).
pub fn memory_gas(open: u16, ever: u16, new: u16) -> u64 {
    MemoryModel::default().gas_cost(new, open, ever)
}

/// A transaction's page counters (`GetStylusPages` / `AddStylusPages` in nitro's state).
///
/// A call into a program pays `gas_cost(footprint, open, ever)`, then opens its footprint; when
/// the call returns, `open` goes back to what it was before the call ([`PageTracker::restore`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageTracker {
    pub open: u16,
    pub ever: u16,
}

impl PageTracker {
    /// Opens `new` pages and returns their gas cost (nitro's `addPages`, used by both the call
    /// prelude and `pay_for_memory_grow`).
    pub fn add_pages(&mut self, model: &MemoryModel, new: u16) -> u64 {
        let cost = model.gas_cost(new, self.open, self.ever);
        self.open = self.open.saturating_add(new);
        self.ever = self.ever.max(self.open);
        cost
    }

    /// Closes the pages a finished call opened, keeping the high-water mark.
    pub fn restore(&mut self, open_before_call: u16) {
        self.open = open_before_call;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_pages_cost_nothing() {
        assert_eq!(memory_gas(0, 0, 2), 0);
        assert_eq!(memory_gas(1, 1, 1), 0);
    }

    #[test]
    fn third_page_pays_linear_and_exponential_parts() {
        // One page beyond the free two: 1000 linear, exp[3] - exp[0] = 0.
        assert_eq!(memory_gas(0, 0, 3), 1000);
        // From 3 to 10 pages: 7 pages linear, exp[10] - exp[3] = 3 - 1.
        assert_eq!(memory_gas(3, 3, 7), 7000 + 2);
    }

    #[test]
    fn eight_mebibytes_cost_about_thirty_two_million() {
        let gas = memory_gas(0, 0, 128);
        assert_eq!(gas, 126 * 1000 + 31_873_999 - 1);
    }

    #[test]
    fn reopening_below_the_high_water_mark_pays_only_linear() {
        assert_eq!(memory_gas(2, 20, 5), 5000);
    }

    #[test]
    fn beyond_the_table_is_unaffordable() {
        assert_eq!(memory_gas(0, 0, 129), u64::MAX);
        assert_eq!(memory_gas(u16::MAX, u16::MAX, 1), 0);
    }

    #[test]
    fn tracker_follows_open_and_ever() {
        let model = MemoryModel::default();
        let mut pages = PageTracker::default();
        assert_eq!(pages.add_pages(&model, 2), 0);
        let before = pages.open;
        // Ten pages beyond the free ones, raising the mark from 2 to 12: exp[12] - exp[2].
        assert_eq!(pages.add_pages(&model, 10), 10_000 + (5 - 1));
        assert_eq!((pages.open, pages.ever), (12, 12));
        pages.restore(before);
        assert_eq!((pages.open, pages.ever), (2, 12));
        assert_eq!(pages.add_pages(&model, 10), 10_000);
    }
}
