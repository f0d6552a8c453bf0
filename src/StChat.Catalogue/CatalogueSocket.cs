using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using StChat.Messaging;

namespace StChat.Catalogue;

/// <summary>
/// One <c>/feeds/ws</c> connection: every catalogue row after the client's cursor, in stream order and each once,
/// then live. The cursor moves only along the horizon, so it never passes a row that is not committed yet: what lies
/// between the cursor and the horizon is read from PostgreSQL (a resume, a slow socket, a missed chunk), the rest comes
/// from the shared live chunks. After each step the socket sends a horizon frame, the position to resume from.
/// The client sends nothing but pings and the close; anything else closes the socket with 1008.
/// </summary>
internal sealed class CatalogueSocket(
    WebSocket socket, CatalogueHorizon horizon, CatalogueReader reader, CatalogueOptions options, ILogger logger)
{
    // Room for a close frame's status and reason; the client has nothing else to say.
    private const int ReceiveBufferBytes = 256;

    private readonly WebSocketSendTimeout _sends = new(socket, options.SendTimeout);
    private (WebSocketCloseStatus Status, string Reason)? _clientClose;

    public async Task RunAsync(long after, CancellationToken stopping)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var subscription = horizon.Subscribe();
        var receiving = ReceiveAsync(done);
        try
        {
            await SendAsync(subscription, after, done.Token);
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
            // The client left, broke the protocol, or the server stops; the close is sent below.
        }
        catch (TimeoutException) when (_sends.TimedOut)
        {
            // The socket is aborted: there is no one to send a close frame to.
            Log.SocketClosed(logger, $"a frame waited longer than {options.SendTimeout} (Catalogue:SendTimeout)");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            Log.SocketReadFailed(logger, e.Message);
            await CloseAsync(WebSocketCloseStatus.InternalServerError, "catalogue unavailable; resume with ?after=");
        }
        catch (WebSocketException)
        {
            // The connection is gone.
        }
        finally
        {
            await done.CancelAsync();
            await receiving;
            if (_clientClose is { } close)
            {
                await CloseAsync(close.Status, close.Reason);
            }
            else if (stopping.IsCancellationRequested)
            {
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }

            _sends.Dispose();
        }
    }

    private async Task SendAsync(CatalogueSubscription subscription, long cursor, CancellationToken ct)
    {
        while (true)
        {
            var known = horizon.Horizon;
            if (known > cursor)
            {
                cursor = await CatchUpAsync(cursor, known, ct);
                continue;
            }

            var chunk = await subscription.Chunks.ReadAsync(ct);
            if (chunk.UpTo <= cursor)
            {
                continue;
            }

            if (chunk.After > cursor)
            {
                cursor = await CatchUpAsync(cursor, chunk.After, ct);
            }

            foreach (var row in chunk.Rows)
            {
                if (row.Seq > cursor)
                {
                    await SendFrameAsync(row.Json, ct);
                }
            }

            cursor = chunk.UpTo;
            await SendFrameAsync(CatalogueJson.Horizon(cursor), ct);
        }
    }

    // Everything in (cursor, upTo] from PostgreSQL, page by page; returns upTo.
    private async Task<long> CatchUpAsync(long cursor, long upTo, CancellationToken ct)
    {
        while (cursor < upTo)
        {
            var rows = await reader.ReadAsync(horizon.Stream, feed: null, cursor, upTo, CatalogueReader.PageSize, ct);
            foreach (var row in rows)
            {
                await SendFrameAsync(row.Json, ct);
            }

            cursor = rows.Count == CatalogueReader.PageSize ? rows[^1].Seq : upTo;
        }

        await SendFrameAsync(CatalogueJson.Horizon(upTo), ct);
        return upTo;
    }

    private ValueTask SendFrameAsync(byte[] frame, CancellationToken ct) => _sends.SendAsync(frame, ct);

    // Waits for the client's close; a data frame instead is a protocol breach. Either way the send loop is stopped,
    // and the close is answered once it has.
    private async Task ReceiveAsync(CancellationTokenSource done)
    {
        var buffer = new byte[ReceiveBufferBytes];
        try
        {
            var result = await socket.ReceiveAsync(buffer, done.Token);
            _clientClose = result.MessageType == WebSocketMessageType.Close
                ? (WebSocketCloseStatus.NormalClosure, "")
                : (WebSocketCloseStatus.PolicyViolation, "this socket takes no messages");
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Stopped by the send side, or the connection is gone.
        }
        finally
        {
            await done.CancelAsync();
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.CloseOutputAsync(status, reason, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The peer is gone; the connection is dropped when the handler returns.
        }
    }
}
