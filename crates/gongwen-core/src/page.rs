//! The page of GB/T 9704-2012 in numbers: paper, 版心, grid, sizes and the distances the
//! standard fixes (clauses cited inline). The typesetter lays a document out with them
//! and the PDF checker measures any PDF against them, so both read one set of numbers.

/// Points per millimetre (1 pt = 1/72 inch).
pub const PT_PER_MM: f64 = 72.0 / 25.4;

pub fn pt_to_mm(pt: f64) -> f64 {
    pt / PT_PER_MM
}

/// Every measure of the layout. The defaults are GB/T 9704-2012; tests alter them to make
/// deliberately wrong PDFs for the checker.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutConfig {
    pub page_width_mm: f64,
    pub page_height_mm: f64,
    /// 天头 (5.2): 37 mm.
    pub top_mm: f64,
    /// 订口 (5.2): 28 mm.
    pub left_mm: f64,
    /// 版心 156 × 225 mm.
    pub body_width_mm: f64,
    pub body_height_mm: f64,
    /// 22 lines × 28 characters (5.2.2).
    pub lines_per_page: usize,
    pub chars_per_line: usize,
    /// 3号 = 16 pt.
    pub body_size_pt: f64,
    /// 2号 = 22 pt.
    pub title_size_pt: f64,
    /// 4号 = 14 pt (页码, 版记).
    pub small_size_pt: f64,
    /// 发文机关标志 top edge below the 版心 top (7.2.4): 35 mm.
    pub mark_offset_mm: f64,
    /// Red separator 4 mm below the 发文字号 (7.2.7).
    pub separator_gap_mm: f64,
    /// Thickness of the red separator: not given by the standard (standards.md §1.4); 0.5 mm
    /// is the middle of common practice (0.35–0.5 mm … 2.25 pt).
    pub separator_thickness_mm: f64,
    /// 页码 一字线 7 mm below the 版心 bottom (7.5).
    pub page_number_gap_mm: f64,
    /// Odd pages right, even pages left (7.5). `false` swaps them (a planted fault).
    pub page_numbers_outside: bool,
    /// Draw the 版记 lines (7.4.1). `false` leaves them out (a planted fault).
    pub colophon_rules: bool,
    /// Seal diameter: 42 mm, the usual size of a government unit's round seal.
    pub seal_diameter_mm: f64,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        LayoutConfig {
            page_width_mm: 210.0,
            page_height_mm: 297.0,
            top_mm: 37.0,
            left_mm: 28.0,
            body_width_mm: 156.0,
            body_height_mm: 225.0,
            lines_per_page: 22,
            chars_per_line: 28,
            body_size_pt: 16.0,
            title_size_pt: 22.0,
            small_size_pt: 14.0,
            mark_offset_mm: 35.0,
            separator_gap_mm: 4.0,
            separator_thickness_mm: 0.5,
            page_number_gap_mm: 7.0,
            page_numbers_outside: true,
            colophon_rules: true,
            seal_diameter_mm: 42.0,
        }
    }
}

impl LayoutConfig {
    /// Line pitch: the 版心 height shared by the lines (225 mm / 22 ≈ 10.23 mm ≈ 29 pt).
    pub fn pitch(&self) -> f64 {
        self.body_height_mm / self.lines_per_page as f64
    }
    /// Character cell: 156 mm / 28 ≈ 5.57 mm.
    pub fn cell(&self) -> f64 {
        self.body_width_mm / self.chars_per_line as f64
    }
    /// Right edge of the 版心.
    pub fn right(&self) -> f64 {
        self.left_mm + self.body_width_mm
    }
    /// Bottom edge of the 版心.
    pub fn bottom(&self) -> f64 {
        self.top_mm + self.body_height_mm
    }
    /// Top of the em box of grid line `i` (text sits at the top of its line, so line 1 is
    /// flush with the 版心 top as the standard's samples show for 份号).
    pub fn line_top(&self, i: usize) -> f64 {
        self.top_mm + i as f64 * self.pitch()
    }
}
