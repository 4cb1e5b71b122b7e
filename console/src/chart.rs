//! The geometry of the dashboard's charts, as plain numbers: a readable scale for the y axis,
//! points of a line over days, bars of a distribution. The component only draws them as SVG.

/// A y axis from 0 to `max` with evenly spaced round ticks (1, 2 or 5 times a power of ten).
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub max: f64,
    pub ticks: Vec<f64>,
}

/// The scale for values up to `highest`: four or five ticks, the top one at or above it.
pub fn scale(highest: f64) -> Scale {
    let highest = if highest.is_finite() && highest > 0.0 {
        highest
    } else {
        1.0
    };
    let rough = highest / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| step * 4.0 >= highest)
        .unwrap_or(10.0 * magnitude);
    let count = (highest / step).ceil() as usize;
    let ticks: Vec<f64> = (0..=count).map(|i| i as f64 * step).collect();
    Scale {
        max: *ticks.last().expect("at least zero"),
        ticks,
    }
}

/// The scale of a measure with a fixed top (5 for CSAT, 7 for CES, 100 for a rate): the axis
/// ends exactly there, with at most seven round steps that divide it.
pub fn scale_to(top: f64) -> Scale {
    if !(top.is_finite() && top > 0.0) {
        return scale(top);
    }
    let magnitude = 10f64.powf((top / 7.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| {
            let count = top / step;
            count <= 7.0 && (count - count.round()).abs() < 1e-9
        });
    match step {
        Some(step) => Scale {
            max: top,
            ticks: (0..=(top / step).round() as usize)
                .map(|i| i as f64 * step)
                .collect(),
        },
        None => Scale {
            max: top,
            ticks: vec![0.0, top],
        },
    }
}

/// Where each value sits in a `width` x `height` box (y down, as SVG), spread evenly across;
/// missing values (no data that day) are skipped, so the line joins the days that have data.
pub fn points(values: &[Option<f64>], width: f64, height: f64, max: f64) -> Vec<(f64, f64)> {
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = (*v)?;
            Some((i as f64 * step, height - (v / max).clamp(0.0, 1.0) * height))
        })
        .collect()
}

/// One bar per count in a `width` x `height` box: (x, y, bar width, bar height), y down.
pub fn bars(counts: &[u32], width: f64, height: f64, max: f64) -> Vec<(f64, f64, f64, f64)> {
    let slot = width / counts.len().max(1) as f64;
    counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let h = (f64::from(count) / max).clamp(0.0, 1.0) * height;
            (i as f64 * slot + slot * 0.15, height - h, slot * 0.7, h)
        })
        .collect()
}
