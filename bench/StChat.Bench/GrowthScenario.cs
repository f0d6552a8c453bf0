using StChat.Storage;

namespace StChat.Bench;

// Cost that does not grow with the data: ingest, resuming a conversation, reading a history page and joining a room,
// each measured on a baseline database and on one pre-filled with COPY to millions of catalogue rows and chat events.
internal sealed partial class GrowthScenario(BenchEnvironment env)
{
    // The pre-filled catalogue rows belong to an earlier stream, so the worker's stream numbers its messages from 1
    // without meeting them, as after a move to a new Ingest:Stream.
    internal const string PreviousStream = "FEEDS_PREVIOUS";
    internal const string LargeRoom = "growth-large";
    internal const int PageSize = 100;
    internal const string VacuumStep = "VACUUM (ANALYZE)";

    // A baseline room holds the page a resume reads and a little more.
    private const int BaselineEventsPerRoom = PageSize + 10;

    public async Task<GrowthResult> RunAsync(CancellationToken ct)
    {
        var s = env.Settings;
        var shape = new GrowthShape(s.GrowthCatalogueRows, s.GrowthChatEvents, s.GrowthChatRooms, s.GrowthLargeRoomEvents,
            BaselineEventsPerRoom, PageSize, s.GrowthSamples);
        var result = new GrowthResult { Shape = shape };

        var baseline = await MigratedAsync("bench_growth_base", ct);
        var grown = await MigratedAsync("bench_growth", ct);
        var baselineRooms = ChatRooms.Create(shape.Rooms, (long)shape.Rooms * BaselineEventsPerRoom, BaselineEventsPerRoom);
        var grownRooms = ChatRooms.Create(shape.Rooms, shape.ChatEvents, shape.LargeRoomEvents);
        if (grownRooms.Events.Min() <= PageSize)
        {
            throw new ArgumentException($"{shape.ChatEvents:N0} chat events over {shape.Rooms:N0} rooms leave a room with {grownRooms.Events.Min():N0}; " +
                $"every room needs more than {PageSize} for a history page: raise --growth-chat or lower --growth-rooms.");
        }

        result.Fills.AddRange(await FillChatAsync("baseline", baseline, baselineRooms, ct));
        result.Fills.Add(await VacuumAsync("baseline", baseline, ct));
        result.Fills.AddRange(await FillCatalogueAsync("grown", grown, shape.CatalogueRows, ct));
        result.Fills.AddRange(await FillChatAsync("grown", grown, grownRooms, ct));
        result.Fills.Add(await VacuumAsync("grown", grown, ct));
        result.Sizes.AddRange(await SizesAsync("baseline", baseline, ct));
        result.Sizes.AddRange(await SizesAsync("grown", grown, ct));

        var corpus = FeedCorpus.Create(s.GrowthIngestMessages);
        result.Ingest.Add(await RunIngestAsync("empty", baseline, 0, corpus, ct));
        result.Ingest.Add(await RunIngestAsync("pre-filled", grown, shape.CatalogueRows, corpus, ct));

        result.Chat.AddRange(await RunChatAsync("baseline", baseline, baselineRooms, ct));
        result.Chat.AddRange(await RunChatAsync("grown", grown, grownRooms, ct));
        return result;
    }

    private async Task<string> MigratedAsync(string name, CancellationToken ct)
    {
        var connectionString = await env.Postgres.CreateDatabaseAsync(name, ct);
        await Migrator.MigrateAsync(connectionString, null, ct);
        return connectionString;
    }
}
