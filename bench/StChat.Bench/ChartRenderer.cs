using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace StChat.Bench;

// PNG charts without a charting library: an SVG in an HTML page, screenshotted by headless Chromium.
internal static class ChartRenderer
{
    private const int Width = 900;
    private static readonly string[] Colors = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"];

    public sealed record Bar(string Label, double Value, int Series, string Text);

    public sealed record Line(string Name, int Series, IReadOnlyList<(double X, double Y)> Points);

    // Horizontal bars, one per row, the value printed at the end of each bar.
    public static string BarSvg(string title, string axis, IReadOnlyList<Bar> bars, IReadOnlyList<string> legend)
    {
        const int left = 260;
        const int rowHeight = 30;
        var height = 80 + (bars.Count * rowHeight) + 40;
        var max = bars.Count == 0 ? 1 : Math.Max(1e-9, bars.Max(b => b.Value));
        var svg = new StringBuilder();
        Header(svg, title, height);
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = 60 + (i * rowHeight);
            var w = (Width - left - 160) * bar.Value / max;
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left - 8}' y='{y + 19}' text-anchor='end' font-size='14'>{Esc(bar.Label)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x='{left}' y='{y + 4}' width='{Math.Max(1, w):F1}' height='{rowHeight - 8}' fill='{Colors[bar.Series % Colors.Length]}'/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left + w + 6:F1}' y='{y + 19}' font-size='13'>{Esc(bar.Text)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x='{left}' y='{height - 14}' font-size='13' fill='#555'>{Esc(axis)}</text>");
        Legend(svg, legend.Select((name, series) => (name, series)).ToList(), height - 14);
        svg.Append("</svg>");
        return svg.ToString();
    }

    public static string LineSvg(string title, string xAxis, string yAxis, IReadOnlyList<Line> lines, double? threshold)
    {
        const int left = 80;
        const int top = 60;
        const int plotHeight = 340;
        var plotWidth = Width - left - 40;
        var height = top + plotHeight + 80;
        var points = lines.SelectMany(l => l.Points).ToList();
        var maxX = points.Count == 0 ? 1 : points.Max(p => p.X);
        var maxY = Math.Max(threshold ?? 0, points.Count == 0 ? 1 : points.Max(p => double.IsNaN(p.Y) ? 0 : p.Y)) * 1.1;
        var svg = new StringBuilder();
        Header(svg, title, height);
        svg.Append(CultureInfo.InvariantCulture, $"<line x1='{left}' y1='{top + plotHeight}' x2='{left + plotWidth}' y2='{top + plotHeight}' stroke='#333'/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + plotHeight}' stroke='#333'/>");
        for (var t = 0; t <= 4; t++)
        {
            var yValue = maxY * t / 4;
            var y = top + plotHeight - (plotHeight * t / 4.0);
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left - 6}' y='{y + 4:F1}' text-anchor='end' font-size='12'>{yValue:N0}</text>");
            var xValue = maxX * t / 4;
            var x = left + (plotWidth * t / 4.0);
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{x:F1}' y='{top + plotHeight + 18}' text-anchor='middle' font-size='12'>{xValue:N0}</text>");
        }

        if (threshold is { } limit)
        {
            var y = top + plotHeight - (plotHeight * limit / maxY);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1='{left}' y1='{y:F1}' x2='{left + plotWidth}' y2='{y:F1}' stroke='#c53030' stroke-dasharray='6 4'/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{left + plotWidth - 4}' y='{y - 6:F1}' text-anchor='end' font-size='12' fill='#c53030'>target {limit:N0}</text>");
        }

        foreach (var line in lines)
        {
            var color = Colors[line.Series % Colors.Length];
            var path = string.Join(' ', line.Points.Where(p => !double.IsNaN(p.Y)).Select(p =>
                string.Create(CultureInfo.InvariantCulture, $"{left + (plotWidth * p.X / maxX):F1},{top + plotHeight - (plotHeight * p.Y / maxY):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2.5'/>");
            foreach (var p in line.Points.Where(p => !double.IsNaN(p.Y)))
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx='{left + (plotWidth * p.X / maxX):F1}' cy='{top + plotHeight - (plotHeight * p.Y / maxY):F1}' r='4' fill='{color}'/>");
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x='{left + (plotWidth / 2)}' y='{top + plotHeight + 40}' text-anchor='middle' font-size='13' fill='#555'>{Esc(xAxis)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x='16' y='{top + (plotHeight / 2)}' font-size='13' fill='#555' transform='rotate(-90 16 {top + (plotHeight / 2)})' text-anchor='middle'>{Esc(yAxis)}</text>");
        Legend(svg, lines.Select(l => (l.Name, l.Series)).ToList(), height - 10);
        svg.Append("</svg>");
        return svg.ToString();
    }

    // Writes the PNG; false when Chromium is missing or fails, in which case the report links no image.
    public static async Task<bool> WritePngAsync(string svg, string pngPath, CancellationToken ct)
    {
        var height = int.Parse(svg.Split("height='", 2)[1].Split('\'', 2)[0], CultureInfo.InvariantCulture);
        var html = Path.Combine(Path.GetTempPath(), $"stchat-chart-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(html, $"<!doctype html><html><body style='margin:0;background:#fff'>{svg}</body></html>", ct);
        try
        {
            var info = new ProcessStartInfo("chromium")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--screenshot={pngPath}", $"--window-size={Width},{height}", "file://" + html })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync(ct);
            _ = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode == 0 && File.Exists(pngPath);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            File.Delete(html);
        }
    }

    private static void Header(StringBuilder svg, string title, int height)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns='http://www.w3.org/2000/svg' width='{Width}' height='{height}' font-family='DejaVu Sans, Arial, sans-serif'>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width='{Width}' height='{height}' fill='#fff'/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x='20' y='32' font-size='19' font-weight='bold'>{Esc(title)}</text>");
    }

    // Right-aligned; each entry in the colour of its series.
    private static void Legend(StringBuilder svg, IReadOnlyList<(string Name, int Series)> entries, int y)
    {
        var x = Width - 20;
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var (name, series) = entries[i];
            x -= 26 + (name.Length * 7);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x='{x}' y='{y - 11}' width='12' height='12' fill='{Colors[series % Colors.Length]}'/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{x + 16}' y='{y}' font-size='12'>{Esc(name)}</text>");
        }
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
