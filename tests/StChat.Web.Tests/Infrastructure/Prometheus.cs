using System.Globalization;

namespace StChat.Web.Tests.Infrastructure;

// Reads a /metrics page (the Prometheus text format): the samples of one series.
internal static class Prometheus
{
    public static async Task<string> ScrapeAsync(HttpClient http, Uri metrics)
    {
        using var response = await http.GetAsync(metrics);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    // The sum of the samples named exactly `name` whose labels contain `label` (e.g. stchat_chat_action="message");
    // null when there is none.
    public static double? Sum(string page, string name, string? label = null)
    {
        double? sum = null;
        foreach (var line in page.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length
                || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            var labelsEnd = line[name.Length] == '{' ? line.IndexOf('}', name.Length) : name.Length - 1;
            if (label is not null && line.IndexOf(label, name.Length, labelsEnd - name.Length + 1, StringComparison.Ordinal) < 0)
            {
                continue;
            }

            var value = line[(labelsEnd + 1)..].Trim().Split(' ')[0];
            sum = (sum ?? 0) + double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return sum;
    }
}
