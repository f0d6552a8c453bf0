using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Chat.Accounts;
using StChat.Chat.Tests.Infrastructure;
using StChat.Storage;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatLogWriterTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("Not initialized.");

    public async ValueTask InitializeAsync()
    {
        await Migrator.MigrateAsync(database.ConnectionString);
        _dataSource = NpgsqlDataSource.Create(database.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_event_PostgreSQL_refuses_fails_alone_and_the_rest_of_its_batch_is_stored()
    {
        var roomA = NewRoom();
        var roomB = NewRoom();
        var bus = new RecordingBus();
        var writer = NewWriter(bus);
        // Queued before the writer starts, so that they are taken as one batch.
        var events = new List<PendingEvent>
        {
            new(roomA, ChatAction.Join, "Ann", null, "j-ann", deadline: null),
            new(roomB, ChatAction.Join, "Bob", null, "j-bob", deadline: null),
            Message(roomA, "Ann", "ok-1"),
            Message(roomB, "Bob", "ok-2"),
            new(roomA, ChatAction.Message, "Eve", "a\0b", "bad", deadline: null),
            Message(roomB, "Bob", "ok-3"),
            Message(roomA, "Ann", "ok-4"),
            new(roomB, ChatAction.Exit, "Bob", null, "x-bob", deadline: null),
        };
        foreach (var e in events)
        {
            Assert.True(writer.TryEnqueue(e));
        }

        await writer.StartAsync(CancellationToken.None);
        try
        {
            var bad = events.Single(e => e.Id == "bad");
            var error = await Assert.ThrowsAsync<PostgresException>(() => bad.Completion.Task.WaitAsync(Wait));
            Assert.Equal("22021", error.SqlState);

            var stored = new List<ChatEvent>();
            foreach (var e in events.Where(e => e.Id != "bad"))
            {
                stored.Add(await e.Completion.Task.WaitAsync(Wait));
            }

            // In queue order, gapless per room.
            Assert.Equal([1L, 2, 3], stored.Where(e => e.Room == roomA).Select(e => e.Seq));
            Assert.Equal([1L, 2, 3, 4], stored.Where(e => e.Room == roomB).Select(e => e.Seq));
            Assert.Equal(["j-ann", "ok-1", "ok-4"], stored.Where(e => e.Room == roomA).Select(e => e.Id));
            // Senders are answered first, then the batch goes to the fan-out.
            await Eventually.Until(() => Task.FromResult(bus.Committed.Count >= stored.Count), Wait, "the stored events are broadcast");
            Assert.Equal(stored.OrderBy(e => e.Room, StringComparer.Ordinal).ThenBy(e => e.Seq).Select(e => e.Id),
                bus.Committed.OrderBy(e => e.Room, StringComparer.Ordinal).ThenBy(e => e.Seq).Select(e => e.Id));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_event_found_already_stored_by_a_retry_is_still_broadcast()
    {
        var room = NewRoom();
        // The first attempt committed, but its answer was lost: the event is stored and was never broadcast.
        var store = new ChatLogStore(DataSource);
        var first = await store.AppendAsync([Message(room, "Ann", "lost-answer")], DateTime.UtcNow, CancellationToken.None);

        var bus = new RecordingBus();
        var writer = NewWriter(bus);
        var retry = Message(room, "Ann", "lost-answer");
        var next = Message(room, "Ann", "next");
        Assert.True(writer.TryEnqueue(retry));
        Assert.True(writer.TryEnqueue(next));
        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(first.Results[0].Seq, (await retry.Completion.Task.WaitAsync(Wait)).Seq);
            Assert.Equal(first.Results[0].Seq + 1, (await next.Completion.Task.WaitAsync(Wait)).Seq);
            await Eventually.Until(() => Task.FromResult(bus.Committed.Count >= 2), Wait, "the batch is broadcast");
            Assert.Equal(["lost-answer", "next"], bus.Committed.Select(e => e.Id));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    private static readonly ServiceProvider Meters = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private static string NewRoom() => "w" + Guid.NewGuid().ToString("N")[..12];

    private static PendingEvent Message(string room, string user, string id) =>
        new(room, ChatAction.Message, user, "text " + id, id, deadline: null);

    private ChatLogWriter NewWriter(RecordingBus bus) => new(
        new ChatLogStore(DataSource),
        bus,
        Options.Create(new ChatOptions()),
        TimeProvider.System,
        new ChatMetrics(Meters.GetRequiredService<IMeterFactory>(), new SessionSockets()),
        NullLogger<ChatLogWriter>.Instance);
}
