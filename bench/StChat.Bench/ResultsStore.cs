using System.Text.Json;
using System.Text.Json.Nodes;

namespace StChat.Bench;

// bench/results/<full|quick>.json holds every section, not only the last run's: a section this run did not ask for
// (`--only scale`) is taken from the saved file, with its errors, so the report keeps it instead of dropping it. The
// machine and command of the saved run stay in the header, since they describe the kept sections, and the sections
// of this run are listed with their own command, date and load. Sections are found by shape (any object or list the
// current run left empty), so new sections need no change here.
internal static class ResultsStore
{
    public static async Task<BenchResults> MergeSavedAsync(
        BenchResults current, string path, IReadOnlyCollection<string> requested, JsonSerializerOptions options, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return current;
        }

        JsonObject saved;
        try
        {
            saved = JsonNode.Parse(await File.ReadAllTextAsync(path, ct))?.AsObject() ?? [];
        }
        catch (JsonException e)
        {
            BenchEnvironment.Log($"results: {path} is not readable JSON ({e.Message}); writing this run's sections only");
            return current;
        }

        var merged = JsonSerializer.SerializeToNode(current, options)!.AsObject();
        var kept = new List<string>();
        foreach (var (name, value) in saved)
        {
            var section = name.ToLowerInvariant();
            if (value is JsonObject or JsonArray && merged[name] is null && !requested.Contains(section))
            {
                merged[name] = value.DeepClone();
                kept.Add(section);
            }
        }

        if (saved["Errors"] is JsonArray errors && merged["Errors"] is JsonArray mergedErrors)
        {
            foreach (var error in errors)
            {
                if (error is not null && kept.Any(k => error.ToString().StartsWith(k + ":", StringComparison.Ordinal)))
                {
                    mergedErrors.Add(error.DeepClone());
                }
            }
        }

        if (kept.Count == 0)
        {
            return current;
        }

        var later = new JsonArray();
        foreach (var entry in saved["LaterSections"]?.AsArray() ?? [])
        {
            if (entry is not null && !requested.Any(r => entry.ToString().StartsWith(r + ":", StringComparison.Ordinal)))
            {
                later.Add(entry.DeepClone());
            }
        }

        foreach (var section in requested.Where(r => merged.Any(p => p.Key.Equals(r, StringComparison.OrdinalIgnoreCase) && p.Value is not null)))
        {
            later.Add($"{section}: `{current.Command}` at {current.StartedAt:yyyy-MM-dd HH:mm} UTC, load average before it {current.Machine.LoadBefore.Split(' ')[0]}");
        }

        foreach (var header in new[] { "Machine", "Command", "StartedAt", "TotalSeconds", "Settings" })
        {
            if (saved[header] is { } value)
            {
                merged[header] = value.DeepClone();
            }
        }

        merged["LaterSections"] = later;
        BenchEnvironment.Log($"results: kept {string.Join(", ", kept)} and the header from the saved {Path.GetFileName(path)}");

        return merged.Deserialize<BenchResults>(options)!;
    }
}
