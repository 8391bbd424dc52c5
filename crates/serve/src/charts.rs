//! Trend charts as inline SVG, drawn on the server: they show without JavaScript and
//! without any external asset. Every text in them is escaped here (the page marks the
//! SVG safe, so minijinja does not escape it again).

use std::fmt::Write as _;

/// One line of a chart: its name and one value per scan (`None`: no value at that scan).
pub(crate) struct Series {
    /// Shown in the legend and in each point's tooltip.
    pub name: String,
    /// One value per x position.
    pub values: Vec<Option<f64>>,
    /// Index into the palette, so one level keeps one colour in every chart.
    pub colour: usize,
}

/// Colours for the lines, in order; distinguishable and readable on white.
const COLOURS: [&str; 8] = [
    "#9e9e9e", "#d32f2f", "#f57c00", "#1976d2", "#388e3c", "#7b1fa2", "#00838f", "#5d4037",
];

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for SVG (XML) content and attribute values.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A line chart: x is the scan (labelled by `x_labels`, oldest left), y from 0 to the
/// largest value (at least `y_min_top`), integer ticks named by `y_label` when given.
pub(crate) fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    y_min_top: f64,
    y_label: &dyn Fn(f64) -> String,
) -> String {
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(y_min_top, |a, &b| a.max(b))
        .max(1.0)
        .ceil();
    let n = x_labels.len().max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v / top);
    let legend_rows = series.len().div_ceil(4);
    let height = HEIGHT + 18.0 * legend_rows as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{}</title>"#,
        xml(title)
    );
    axes(&mut svg, top, y, y_label);
    x_axis(&mut svg, x_labels, x);
    for (k, s) in series.iter().enumerate() {
        let colour = COLOURS[s.colour % COLOURS.len()];
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        if points.len() > 1 {
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                points.join(" ")
            );
        }
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                let at = x_labels.get(i).map(String::as_str).unwrap_or("");
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{}: {} at {}</title></circle>"#,
                    x(i),
                    y(*v),
                    xml(&s.name),
                    xml(&y_label(*v)),
                    xml(at)
                );
            }
        }
        let lx = LEFT + (k % 4) as f64 * 150.0;
        let ly = HEIGHT + 4.0 + 18.0 * (k / 4) as f64;
        let _ = write!(
            svg,
            r#"<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}" font-size="12">{}</text>"#,
            lx + 16.0,
            ly + 11.0,
            xml(&s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The y axis with a grid line per integer step (at most 10 labels).
fn axes(svg: &mut String, top: f64, y: impl Fn(f64) -> f64, y_label: &dyn Fn(f64) -> String) {
    let step = (top / 10.0).ceil().max(1.0);
    let mut v = 0.0;
    // Bounded: at most 11 ticks, since step >= top / 10.
    while v <= top {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            y(v),
            y(v),
            LEFT - 4.0,
            y(v) + 4.0,
            xml(&y_label(v))
        );
        v += step;
    }
}

/// The x axis: the first, the last and a few labels between (no overlap).
fn x_axis(svg: &mut String, labels: &[String], x: impl Fn(usize) -> f64) {
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{}" y1="{base}" y2="{base}" stroke="#616161"/>"##,
        WIDTH - RIGHT
    );
    let n = labels.len();
    let every = n.div_ceil(5).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every != 0 && i + 1 != n {
            continue;
        }
        let anchor = match (i, n) {
            (0, 1) => "middle",
            (0, _) => "start",
            (i, n) if i + 1 == n => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="{anchor}">{}</text>"#,
            x(i),
            base + 16.0,
            xml(l)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_escapes_its_names_and_draws_each_series() {
        let svg = line_chart(
            "t<",
            &["a".into(), "b".into()],
            &[
                Series {
                    name: "<script>".into(),
                    values: vec![Some(1.0), Some(2.0)],
                    colour: 0,
                },
                Series {
                    name: "two".into(),
                    values: vec![None, Some(0.0)],
                    colour: 1,
                },
            ],
            1.0,
            &|v| format!("{v}"),
        );
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
