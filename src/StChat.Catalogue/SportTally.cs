namespace StChat.Catalogue;

/// <summary>
/// <c>sport_event</c> rows per sport up to the horizon, kept as a running tally. Below the horizon the catalogue only
/// grows, so each request counts just the rows committed since the tally was last brought up to date, and a page load
/// costs the same on ten million rows as on ten. (The horizon never moves back within a process.)
/// </summary>
internal sealed class SportTally(CatalogueReader reader) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private SportsResponse _current = new(0, []);

    public async Task<SportsResponse> ReadAsync(string stream, long upTo, CancellationToken ct)
    {
        // A request that read the horizon just before another brought the tally further gets the newer tally.
        if (Volatile.Read(ref _current) is { } current && current.Horizon >= upTo)
        {
            return current;
        }

        // One request brings the tally up to date; those that arrive meanwhile wait for it and find it done.
        await _gate.WaitAsync(ct);
        try
        {
            if (upTo > _current.Horizon)
            {
                foreach (var (sport, count) in await reader.ReadSportCountsAsync(stream, _current.Horizon, upTo, ct))
                {
                    _counts[sport] = _counts.GetValueOrDefault(sport) + count;
                }

                var sports = _counts.Select(c => new SportCount(c.Key, c.Value))
                    .OrderByDescending(c => c.Count).ThenBy(c => c.Sport, StringComparer.Ordinal).ToList();
                Volatile.Write(ref _current, new SportsResponse(upTo, sports));
            }

            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
