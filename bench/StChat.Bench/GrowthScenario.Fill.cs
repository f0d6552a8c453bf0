using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace StChat.Bench;

internal sealed partial class GrowthScenario
{
    private static readonly string[] Sports = ["BASEBALL", "BASKETBALL", "FOOTBALL", "BOXING", "GOLF", "NASCAR", "TENNIS"];
    private static readonly string[] Matches = ["Yankees vs Red Sox", "Lakers vs Celtics", "Chiefs vs Eagles", "Alcaraz vs Sinner"];

    private const string CopySportEvents = """
        COPY sport_event (stream, stream_seq, sport, match_title, data_event, published_at, stored_at) FROM STDIN (FORMAT BINARY)
        """;

    private const string CopyExecutions = """
        COPY execution (stream, stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol, published_at, stored_at)
        FROM STDIN (FORMAT BINARY)
        """;

    private const string CopyChatRooms = "COPY chat_room (room, last_seq) FROM STDIN (FORMAT BINARY)";

    private const string CopyChatLog = """
        COPY chat_log (room, seq, action, username, text, client_msg_id, created_at) FROM STDIN (FORMAT BINARY)
        """;

    private const string RememberStream = "INSERT INTO feed_streams (stream, created_at, first_seen) VALUES ($1, $2, $2)";

    private const string TableSizes = """
        SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1)
        ORDER BY c.relname
        """;

    private static readonly string[] MeasuredTables = ["sport_event", "execution", "feed_rejects", "feed_streams", "chat_room", "chat_log"];

    // The catalogue as the worker would have left it after `rows` messages of an earlier stream: stream_seq 1..rows,
    // even ones sport events and odd ones executions (like FeedCorpus), published over the last 30 days in order.
    private async Task<List<GrowthFill>> FillCatalogueAsync(string database, string connectionString, long rows, CancellationToken ct)
    {
        var end = DateTime.UtcNow.AddHours(-1);
        var start = end.AddDays(-30);
        var step = (end - start).Ticks / Math.Max(1, rows);
        DateTime Published(long seq) => start.AddTicks(seq * step);
        var random = new Random(42);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using (var remember = new NpgsqlCommand(RememberStream, connection))
        {
            remember.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PreviousStream });
            remember.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = start.AddMinutes(-1), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await remember.ExecuteNonQueryAsync(ct);
        }

        var sportEvents = await CopyAsync(database, connection, "sport_event", CopySportEvents, async writer =>
        {
            long count = 0;
            for (long seq = 2; seq <= rows; seq += 2, count++)
            {
                var published = Published(seq);
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(PreviousStream, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(seq, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(Sports[random.Next(Sports.Length)], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(Matches[random.Next(Matches.Length)], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(FeedCorpus.Plays[random.Next(FeedCorpus.Plays.Length)], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(published, NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(published.AddMilliseconds(50), NpgsqlDbType.TimestampTz, ct);
            }

            return count;
        }, ct);

        var executions = await CopyAsync(database, connection, "execution", CopyExecutions, async writer =>
        {
            long count = 0;
            for (long seq = 1; seq <= rows; seq += 2, count++)
            {
                var published = Published(seq);
                var (symbol, market) = FeedCorpus.Instruments[random.Next(FeedCorpus.Instruments.Length)];
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(PreviousStream, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(seq, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(symbol, NpgsqlDbType.Text, ct);
                await writer.WriteAsync(market, NpgsqlDbType.Text, ct);
                await writer.WriteAsync((float)Math.Round(100 + (random.NextDouble() * 50), 2), NpgsqlDbType.Real, ct);
                await writer.WriteAsync((float)(random.Next(1, 21) * 5), NpgsqlDbType.Real, ct);
                await writer.WriteAsync(new DateTimeOffset(published).ToUnixTimeMilliseconds(), NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(FeedCorpus.States[random.Next(FeedCorpus.States.Length)], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(published, NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(published.AddMilliseconds(50), NpgsqlDbType.TimestampTz, ct);
            }

            return count;
        }, ct);

        return [sportEvents, executions];
    }

    // The rooms' logs as the chat server writes them: seq gapless from 1 per room, the first event a join, then mostly
    // messages with a few joins and exits, every event with a server-made id ("s-" + a version 7 GUID). The rooms'
    // events are interleaved in time (a shuffled order), so a room's rows are spread over the table as in a real log.
    private async Task<List<GrowthFill>> FillChatAsync(string database, string connectionString, ChatRooms rooms, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var roomFill = await CopyAsync(database, connection, "chat_room", CopyChatRooms, async writer =>
        {
            for (var i = 0; i < rooms.Names.Length; i++)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(rooms.Names[i], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(rooms.Events[i], NpgsqlDbType.Bigint, ct);
            }

            return rooms.Names.Length;
        }, ct);

        var order = new int[rooms.Total];
        long at = 0;
        for (var i = 0; i < rooms.Names.Length; i++)
        {
            Array.Fill(order, i, (int)at, (int)rooms.Events[i]);
            at += rooms.Events[i];
        }

        var random = new Random(42);
        random.Shuffle(order);
        var end = DateTimeOffset.UtcNow.AddHours(-1);
        var start = end.AddDays(-30);
        var step = (end - start).Ticks / Math.Max(1, order.Length);
        var seqs = new long[rooms.Names.Length];
        var logFill = await CopyAsync(database, connection, "chat_log", CopyChatLog, async writer =>
        {
            for (var i = 0; i < order.Length; i++)
            {
                var room = order[i];
                var seq = ++seqs[room];
                var created = start.AddTicks(i * step);
                var roll = random.Next(100);
                var action = seq == 1 || roll < 2 ? "join" : roll < 4 ? "exit" : "message";
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(rooms.Names[room], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(seq, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(action, NpgsqlDbType.Text, ct);
                await writer.WriteAsync($"user{random.Next(500)}", NpgsqlDbType.Text, ct);
                if (action == "message")
                {
                    await writer.WriteAsync($"Message {seq} of {rooms.Names[room]}: {FeedCorpus.Plays[random.Next(FeedCorpus.Plays.Length)]}, and a few more words.", NpgsqlDbType.Text, ct);
                }
                else
                {
                    await writer.WriteNullAsync(ct);
                }

                await writer.WriteAsync("s-" + Guid.CreateVersion7(created).ToString("N"), NpgsqlDbType.Text, ct);
                await writer.WriteAsync(created.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            }

            return order.Length;
        }, ct);

        return [roomFill, logFill];
    }

    // One binary COPY in its own transaction, into the table with every index and constraint of the migrations.
    private static async Task<GrowthFill> CopyAsync(
        string database, NpgsqlConnection connection, string table, string copy, Func<NpgsqlBinaryImporter, Task<long>> write, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var transaction = await connection.BeginTransactionAsync(ct);
        long rows;
        await using (var writer = await connection.BeginBinaryImportAsync(copy, ct))
        {
            // Millions of rows into indexed tables take minutes, most of them after the last row is sent; zero is no
            // timeout (the command timeout would otherwise end the wait for the server's answer).
            writer.Timeout = TimeSpan.Zero;
            rows = await write(writer);
            await writer.CompleteAsync(ct);
        }

        await transaction.CommitAsync(ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        BenchEnvironment.Log($"growth: {database}: {table}: {rows:N0} rows by COPY in {seconds:N1} s ({rows / seconds:N0} rows/s)");
        return new GrowthFill(database, table, rows, seconds);
    }

    // What an operator runs after a bulk load, and what autovacuum would soon do on its own: the visibility map and
    // hint bits set, the statistics current. Without it autovacuum's first pass over the fresh rows runs during the
    // measurements.
    private static async Task<GrowthFill> VacuumAsync(string database, string connectionString, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await BenchPostgres.MaintainAsync(connectionString, VacuumStep, ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        BenchEnvironment.Log($"growth: {database}: {VacuumStep} in {seconds:N1} s");
        return new GrowthFill(database, VacuumStep, 0, seconds);
    }

    // Each table's rows (the planner's estimate after ANALYZE) and its size with indexes and TOAST.
    private static async Task<List<GrowthTableSize>> SizesAsync(string database, string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(TableSizes, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = MeasuredTables });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var sizes = new List<GrowthTableSize>();
        while (await reader.ReadAsync(ct))
        {
            sizes.Add(new GrowthTableSize(database, reader.GetString(0), Math.Max(0, reader.GetInt64(1)), reader.GetInt64(2)));
        }

        return sizes;
    }
}
