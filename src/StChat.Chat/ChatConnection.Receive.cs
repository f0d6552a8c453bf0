using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StChat.Chat;

internal sealed partial class ChatConnection
{
    // Room for the JSON envelope and the id around a message of MaxMessageBytes.
    private const int EnvelopeBytes = 1024;
    private const int MaxIdLength = 128;

    private readonly TokenBucket _rate;
    private readonly TokenBucket _strikes;
    private TimeSpan? _lastTyping;

    // 1 from a resume request until the send loop has finished its replay.
    private int _resumeQueued;

    private TimeSpan Now => _time.GetUtcNow() - DateTimeOffset.UnixEpoch;

    private async Task ReceiveLoopAsync()
    {
        while (!_closeRequested.IsCancellationRequested)
        {
            // A zero-byte read waits for the next frame's header without a buffer: an idle connection holds none, and
            // one is rented from the pool only while a frame is read and handled.
            var result = await _socket.ReceiveAsync(Memory<byte>.Empty, _receiveAbort.Token);
            if (!await ReadAndHandleFrameAsync(result))
            {
                return;
            }
        }

        await DrainUntilCloseAsync();
    }

    // Reads the rest of the frame whose start is `result`, then handles it; false when the peer has closed.
    private async Task<bool> ReadAndHandleFrameAsync(ValueWebSocketReceiveResult result)
    {
        var limit = _options.MaxMessageBytes + EnvelopeBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var count = 0;
            while (true)
            {
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    RequestClose(WebSocketCloseStatus.NormalClosure, "");
                    return false;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    RequestClose(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported; send JSON text");
                    return true;
                }

                count += result.Count;
                if (result.EndOfMessage)
                {
                    break;
                }

                // Checked before reading on: a client cannot make us buffer more than the limit.
                if (count == limit)
                {
                    RequestClose(WebSocketCloseStatus.MessageTooBig, $"frame larger than {limit} bytes");
                    return true;
                }

                result = await _socket.ReceiveAsync(buffer.AsMemory(count, limit - count), _receiveAbort.Token);
            }

            if (!_closeRequested.IsCancellationRequested)
            {
                await HandleFrameAsync(buffer.AsMemory(0, count));
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // After our close frame, data still in flight is discarded until the peer's close frame (or the handshake timeout).
    private async Task DrainUntilCloseAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(EnvelopeBytes);
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), _receiveAbort.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleFrameAsync(ReadOnlyMemory<byte> json)
    {
        var now = Now;
        if (!_rate.TryTake(now))
        {
            if (!_strikes.TryTake(now))
            {
                RequestClose(WebSocketCloseStatus.PolicyViolation, "rate limit exceeded repeatedly");
                return;
            }

            Send(ChatFrames.Error(ChatErrorCodes.RateLimited,
                $"More than {_options.MessagesPerSecond} frames per second; this one was dropped. Slow down or you will be disconnected.",
                retryable: true));
            return;
        }

        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize(json.Span, ChatJsonContext.Default.ClientFrame);
        }
        catch (JsonException e)
        {
            Send(ChatFrames.Error(ChatErrorCodes.BadJson, $"Expected a JSON object such as {{\"message\":\"hi\"}}: {e.Message}"));
            return;
        }

        if (frame is null)
        {
            Send(ChatFrames.Error(ChatErrorCodes.BadJson, "Expected a JSON object such as {\"message\":\"hi\"}, got null."));
            return;
        }

        switch (frame.Action ?? (frame.Message is null ? null : "message"))
        {
            case "message":
                await HandleMessageAsync(frame);
                break;
            case "resume":
                if (frame.After is not >= 0)
                {
                    Send(ChatFrames.Error(ChatErrorCodes.BadRequest, "resume needs \"after\": the last seq you have (0 for everything)."));
                    break;
                }

                // A replay can read the whole room: one at a time per connection, on top of the frame rate limit.
                if (Interlocked.Exchange(ref _resumeQueued, 1) != 0)
                {
                    Send(ChatFrames.Error(ChatErrorCodes.RateLimited,
                        "A resume is already being replayed; ask again after it has finished.", retryable: true));
                    break;
                }

                Enqueue(Outgoing.Resume(frame.After.Value));
                break;
            case "who":
                Send(ChatFrames.Who(Room, _presence.UsersIn(Room)));
                break;
            case "typing":
                // Ephemeral and throttled: a chatty keyboard must not flood the room.
                if (_lastTyping is not { } last || now - last >= _options.TypingInterval)
                {
                    _lastTyping = now;
                    _bus.PublishEphemeral(Room, ChatFrames.Typing(Room, User), skip: member => ReferenceEquals(member, this));
                }

                break;
            case null:
                Send(ChatFrames.Error(ChatErrorCodes.BadRequest, "Expected \"message\" or \"action\", e.g. {\"message\":\"hi\"}."));
                break;
            default:
                Send(ChatFrames.Error(ChatErrorCodes.UnknownAction,
                    $"Unknown action '{frame.Action}'; use message, resume, who or typing."));
                break;
        }
    }

    private async Task HandleMessageAsync(ClientFrame frame)
    {
        var id = frame.Id;
        if (string.IsNullOrWhiteSpace(frame.Message))
        {
            Send(ChatFrames.Error(ChatErrorCodes.BadRequest, "\"message\" must be a non-empty string.", id: EchoId(id)));
            return;
        }

        if (!StorableText.IsValid(frame.Message))
        {
            Send(ChatFrames.Error(ChatErrorCodes.BadRequest,
                "\"message\" must not contain U+0000 or unpaired surrogates (\\ud800-\\udfff alone); nothing was stored.",
                id: EchoId(id)));
            return;
        }

        if (Encoding.UTF8.GetByteCount(frame.Message) > _options.MaxMessageBytes)
        {
            RequestClose(WebSocketCloseStatus.MessageTooBig, $"message text larger than {_options.MaxMessageBytes} bytes");
            return;
        }

        if (id is not null && (id.Length is 0 or > MaxIdLength || id.Any(char.IsControl) || !StorableText.IsValid(id)))
        {
            Send(ChatFrames.Error(ChatErrorCodes.BadRequest, $"\"id\" must be 1-{MaxIdLength} printable characters.",
                id: EchoId(id)));
            return;
        }

        var pending = new PendingEvent(Room, ChatAction.Message, User, frame.Message, id ?? NewId(), _writer.UtcNow + _options.AckTimeout);
        if (!_writer.TryEnqueue(pending))
        {
            SendUnavailable(id, "The server is overloaded");
            return;
        }

        ChatEvent stored;
        try
        {
            try
            {
                stored = await pending.Completion.Task.WaitAsync(_options.AckTimeout, _receiveAbort.Token);
            }
            catch (TimeoutException) when (!pending.TryAbandon())
            {
                // A write attempt holds the event right now; its own timeout bounds this wait.
                stored = await pending.Completion.Task.WaitAsync(_receiveAbort.Token);
            }
        }
        catch (TimeoutException)
        {
            SendUnavailable(id, "The chat log did not store the message in time");
            return;
        }
        catch (ChatUnavailableException)
        {
            SendUnavailable(id, "The chat log is unavailable");
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Send(ChatFrames.Error(ChatErrorCodes.Internal, "The message could not be stored.", id: id));
            return;
        }

        if (id is null)
        {
            return;
        }

        // The id is unique per room, not per user. The same text under another name is the same sender back with a
        // new random name; different text from someone else means two clients picked the same id.
        if (stored.User != User && stored.Text != frame.Message)
        {
            Send(ChatFrames.Error(ChatErrorCodes.IdConflict,
                $"Id '{id}' already belongs to another message in this room (#{stored.Seq} by {stored.User}); yours was not stored. "
                + "Send it again with an id nobody else uses, such as a UUID.",
                id: id));
            return;
        }

        Send(ChatFrames.Ack(Room, id, stored.Seq));
    }

    // An id repeated in an error frame, cut to length; one that cannot be written as JSON text is left out.
    private static string? EchoId(string? id) =>
        id is not null && StorableText.IsValid(id) ? id[..Math.Min(id.Length, MaxIdLength)] : null;

    // A timed-out or failed attempt may still have committed (only its answer was lost), so the client must not be
    // told that nothing was stored; resending the same id is safe either way.
    private void SendUnavailable(string? id, string why) => Send(ChatFrames.Error(
        ChatErrorCodes.Unavailable,
        id is null
            ? $"{why}: the message may not have been stored; send it again with the same id (give messages an \"id\" so that a resend cannot be stored twice)."
            : $"{why}: the message may not have been stored; send it again with the same id.",
        retryable: true,
        id: id));
}
