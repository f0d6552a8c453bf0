using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace StChat.Messaging;

/// <summary>
/// Sends text frames on one WebSocket, each bounded by a timeout: a peer that answers pings but does not read must not
/// hold a sender forever. Almost every send completes at once, into the server's output buffer, so the socket is given
/// no token (its fast path: no registration, no state machine, no allocation) and only a send that has to wait arms
/// the timer, which is reset after it rather than made anew per frame. One sender at a time.
/// </summary>
public sealed class WebSocketSendTimeout(WebSocket socket, TimeSpan timeout) : IDisposable
{
    // Made by the first send that has to wait, so a connection that never waits (an idle one) holds none.
    private CancellationTokenSource? _timer;

    /// <summary>Sends <paramref name="frame"/>. A send not done within the timeout aborts the socket and throws
    /// <see cref="TimeoutException"/>; one still waiting when <paramref name="ct"/> is cancelled aborts it too and
    /// throws <see cref="OperationCanceledException"/>.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var send = socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        if (send.IsCompletedSuccessfully)
        {
            send.GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }

        return AwaitAsync(send, ct);
    }

    /// <summary>True once a send has timed out (and the socket been aborted).</summary>
    public bool TimedOut => _timer?.IsCancellationRequested == true;

    public void Dispose() => _timer?.Dispose();

    // Pooled: under load many sends wait, and each would otherwise allocate its state machine.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitAsync(ValueTask send, CancellationToken ct)
    {
        var timer = _timer ??= new CancellationTokenSource();
        timer.CancelAfter(timeout);
        try
        {
            // Aborting is what a cancelled token would make the socket do: it fails the pending write.
            using (timer.Token.UnsafeRegister(static s => ((WebSocket)s!).Abort(), socket))
            using (ct.UnsafeRegister(static s => ((WebSocket)s!).Abort(), socket))
            {
                await send;
            }
        }
        catch (Exception e) when (timer.IsCancellationRequested && IsAbort(e))
        {
            throw new TimeoutException($"A frame was not taken by the client within {timeout}.", e);
        }
        catch (Exception e) when (ct.IsCancellationRequested && IsAbort(e))
        {
            throw new OperationCanceledException("The send was cancelled and the socket aborted.", e, ct);
        }

        if (!timer.TryReset())
        {
            // The timer fired just after the send completed.
            timer.Dispose();
            _timer = null;
        }
    }

    // How a pending write fails once the socket is aborted under it.
    private static bool IsAbort(Exception e) => e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException;
}
