//! PNG plots of the results with `plotters`' bitmap backend: a backlog draining over time
//! ([`backlog_png`]) and the distribution of latencies at one rate ([`latency_png`]), one
//! line per relayer. Text is drawn with a TrueType font read from the system (`ab_glyph`,
//! no font-config library): DejaVu Sans or Liberation Sans (Debian's `fonts-dejavu-core`,
//! which `scripts/install-deps.sh` installs).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Result};
use plotters::prelude::*;

/// Where a sans-serif TrueType font is looked for, in order.
const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// The size of every plot, pixels.
const SIZE: (u32, u32) = (960, 560);

/// One relayer's line.
pub struct Line<'a> {
    /// The relayer's name (the legend).
    pub name: &'a str,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// `points` of packets pending on the source against seconds since the relayer started,
/// one line per relayer, for a backlog of `size`.
pub fn backlog_png(path: &Path, size: usize, lines: &[Line<'_>]) -> Result<()> {
    let title = format!("Backlog of {size} transfers: packets pending on the source");
    let axes = (
        "seconds since the relayer started",
        "packet commitments left",
    );
    let look = Look {
        y_max: Some(size as f64),
        y_label: |v| format!("{v:.0}"),
        legend: SeriesLabelPosition::UpperRight,
    };
    draw(path, &title, axes, lines, &look)
}

/// The cumulative distribution of send→ack latencies (seconds, ascending) at `rate`
/// transfers per second, one line per relayer.
pub fn latency_png(path: &Path, rate: usize, latencies: &[(&str, &[f64])]) -> Result<()> {
    let lines: Vec<Line<'_>> = latencies
        .iter()
        .map(|(name, seconds)| Line {
            name,
            points: cdf(seconds),
        })
        .collect();
    let title = format!("Send->ack latency at {rate} transfers/s (cumulative)");
    let axes = (
        "seconds from send to ack",
        "fraction of packets acknowledged",
    );
    let look = Look {
        y_max: Some(1.0),
        y_label: |v| format!("{v:.1}"),
        legend: SeriesLabelPosition::LowerRight,
    };
    draw(path, &title, axes, &lines, &look)
}

/// The points of the empirical CDF of ascending `sorted` values.
fn cdf(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (x, (i + 1) as f64 / n))
        .collect()
}

/// How a plot's y axis and legend look.
struct Look {
    /// The top of the y axis (`None`: the largest y).
    y_max: Option<f64>,
    /// A y value's label.
    y_label: fn(&f64) -> String,
    /// Where the legend goes.
    legend: SeriesLabelPosition,
}

/// Draws `lines` on linear axes from 0 to the largest x and `look.y_max`.
fn draw(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    lines: &[Line<'_>],
    look: &Look,
) -> Result<()> {
    register_font()?;
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let x_max = all().map(|p| p.0).fold(0.0, f64::max).max(1e-3) * 1.05;
    let y_max = look
        .y_max
        .unwrap_or_else(|| all().map(|p| p.1).fold(0.0, f64::max))
        .max(1e-3)
        * 1.05;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .y_label_formatter(&look.y_label)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(plot_err)?;
    for line in lines {
        let style = color(line.name).stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style))
            .map_err(plot_err)?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 18))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(look.legend.clone())
        .draw()
        .map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Each relayer's colour: ours blue, Hermes red, anything else grey.
fn color(name: &str) -> RGBColor {
    match name {
        "ours" => RGBColor(31, 119, 180),
        "hermes" => RGBColor(214, 39, 40),
        _ => RGBColor(100, 100, 100),
    }
}

/// A plotters error (its types are generic over the backend) as text.
fn plot_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("plotting: {e}")
}

/// Registers the first font of [`FONTS`] found as `sans-serif` (once per process).
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = REGISTERED.get_or_init(|| {
        let Some((path, bytes)) = FONTS
            .iter()
            .find_map(|p| std::fs::read(p).ok().map(|b| (p, b)))
        else {
            return Err(format!(
                "no TrueType font for the plots' text; looked for {} (Debian: apt-get \
                 install fonts-dejavu-core)",
                FONTS.join(", ")
            ));
        };
        // plotters keeps fonts for the life of the process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
            .map_err(|_| format!("{path} is not a font plotters can read"))
    });
    match result {
        Ok(()) => Ok(()),
        Err(e) => bail!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_png_files() {
        // scripts/install-deps.sh installs the font.
        let dir = tempfile::tempdir().unwrap();
        let backlog = dir.path().join("backlog.png");
        let lines = [
            Line {
                name: "ours",
                points: vec![(0.0, 100.0), (2.0, 40.0), (3.5, 0.0)],
            },
            Line {
                name: "hermes",
                points: vec![(0.0, 100.0), (5.0, 0.0)],
            },
        ];
        backlog_png(&backlog, 100, &lines).unwrap();
        let latency = dir.path().join("latency.png");
        latency_png(&latency, 10, &[("ours", &[0.5, 0.7, 1.2][..])]).unwrap();
        for file in [backlog, latency] {
            let bytes = std::fs::read(&file).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{}", file.display());
        }
        assert_eq!(cdf(&[1.0, 2.0]), [(1.0, 0.5), (2.0, 1.0)]);
    }
}
