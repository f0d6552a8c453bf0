using System.Buffers;
using System.IO.Pipelines;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    private const int FlushChunkSize = 64 * 1024;

    // The single writer to the socket: takes whatever commands are in the pipe and sends them in batches.
    // While disconnected it waits, so the pipe holds commands until the next handshake has re-subscribed.
    private async Task FlushLoopAsync()
    {
        var reader = _writer.Reader;
        var chunk = ArrayPool<byte>.Shared.Rent(FlushChunkSize);
        ServerConnection? started = null;
        try
        {
            // Runs until DisposeAsync cancels it, so a closing flush still goes out after _disposed is set.
            while (true)
            {
                ServerConnection connection;
                try
                {
                    connection = await WaitForOpenConnectionAsync(_disposeCts.Token);
                }
                catch (NatsException)
                {
                    // Reconnecting was given up; a later ConnectAsync opens the next connection.
                    continue;
                }

                if (!ReferenceEquals(connection, started))
                {
                    // Nothing was written to this socket yet, so its first PING is the first one after this offset.
                    started = connection;
                    BeginPings(connection, _writer.SentBytes);
                }

                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(connection.Token);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                var buffer = result.Buffer;
                var discarded = _writer.DiscardedAhead;
                if (discarded > 0)
                {
                    // Commands dropped when reconnecting was given up: consume them without sending.
                    var skipped = Math.Min(discarded, buffer.Length);
                    reader.AdvanceTo(buffer.GetPosition(skipped));
                    _writer.OnSent(skipped);
                    continue;
                }

                // Read before AdvanceTo: once advanced, the pipe may recycle the segments the sequence points at.
                var length = buffer.Length;
                try
                {
                    await WriteBatchAsync(connection, buffer, chunk);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
                {
                    // Not consumed: these commands go out again on the next connection.
                    reader.AdvanceTo(buffer.Start);
                    OnConnectionLost(connection, ex is OperationCanceledException ? null : ex);
                    continue;
                }

                reader.AdvanceTo(buffer.End);
                _writer.OnSent(length);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    // Small pipe segments are coalesced into one write; large ones go straight to the stream.
    private static async ValueTask WriteBatchAsync(ServerConnection connection, ReadOnlySequence<byte> buffer, byte[] chunk)
    {
        var stream = connection.Stream;
        var token = connection.Token;
        var filled = 0;
        foreach (var segment in buffer)
        {
            if (segment.Length >= chunk.Length)
            {
                if (filled > 0)
                {
                    await stream.WriteAsync(chunk.AsMemory(0, filled), token);
                    filled = 0;
                }

                await stream.WriteAsync(segment, token);
                continue;
            }

            if (filled + segment.Length > chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, filled), token);
                filled = 0;
            }

            segment.CopyTo(chunk.AsMemory(filled));
            filled += segment.Length;
        }

        if (filled > 0)
        {
            await stream.WriteAsync(chunk.AsMemory(0, filled), token);
        }

        await stream.FlushAsync(token);
    }
}
