using System.Net.WebSockets;
using System.Text.Json;
using StChat.Chat.Conversations;

namespace StChat.Chat;

// The client actions, one handler each. Every handler answers with a frame (an ack, an error, the requested data)
// or with nothing when the effect is itself visible (a message's event, a subscription's replay).
internal sealed partial class ChatSession
{
    // Made by the first frame (and the first refused one): a bucket starts full and stays full until used, so one
    // made then is the same as one made on connecting, and a connection that only listens holds neither.
    private TokenBucket? _rate;
    private TokenBucket? _strikes;

    public async Task HandleFrameAsync(ReadOnlyMemory<byte> json)
    {
        var now = Now;
        _rate ??= new TokenBucket(_options.MessagesPerSecond, _options.MessageBurst, now);
        if (!_rate.TryTake(now))
        {
            _services.Metrics.RateLimited();
            _strikes ??= new TokenBucket(1, _options.RateLimitStrikes, now);
            if (!_strikes.TryTake(now))
            {
                _socket.RequestClose(WebSocketCloseStatus.PolicyViolation, "rate limit exceeded repeatedly");
                return;
            }

            Reply(ChatFrames.Error(ChatErrorCodes.RateLimited,
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
            Reply(ChatFrames.Error(ChatErrorCodes.BadJson, $"Expected a JSON object such as {Example}: {e.Message}"));
            return;
        }

        if (frame is null)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadJson, $"Expected a JSON object such as {Example}, got null."));
            return;
        }

        switch (frame.Action ?? (frame.Message is null ? null : "message"))
        {
            case "message":
                if (Target(frame) is { } to)
                {
                    await HandleMessageAsync(to, frame);
                }

                break;
            case "subscribe" when IsMulti:
                await HandleSubscribeAsync(frame);
                break;
            case "unsubscribe" when IsMulti:
                if (Target(frame) is { } unsubscribed)
                {
                    EndSubscription(unsubscribed, tellClient: true);
                }

                break;
            case "resume":
                if (Target(frame) is { } resumed)
                {
                    HandleResume(resumed, frame);
                }

                break;
            case "who":
                if (Target(frame) is { } asked)
                {
                    await HandleWhoAsync(asked);
                }

                break;
            case "typing":
                if (Target(frame) is { } typedIn)
                {
                    HandleTyping(typedIn, now);
                }

                break;
            case "read":
                if (Target(frame) is { } read)
                {
                    await HandleReadAsync(read, frame);
                }

                break;
            case null:
                Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, $"Expected \"message\" or \"action\", e.g. {Example}."));
                break;
            default:
                Reply(ChatFrames.Error(ChatErrorCodes.UnknownAction, $"Unknown action '{frame.Action}'; use {Actions}."));
                break;
        }
    }

    private string Example => IsMulti ? "{\"action\":\"subscribe\",\"room\":\"lobby\"}" : "{\"message\":\"hi\"}";

    private string Actions => IsMulti
        ? "subscribe, unsubscribe, message, resume, who, typing or read"
        : "message, resume, who, typing or read";

    // The subscription a frame is about: the implied one on a single-conversation URL, else the one named by "room".
    private RoomSubscription? Target(ClientFrame frame)
    {
        var room = _single?.Value ?? frame.Room;
        if (room is null)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, $"\"room\" is required on /ws, e.g. {{\"action\":\"{frame.Action ?? "message"}\",\"room\":\"lobby\"}}.", id: EchoId(frame.Id)));
            return null;
        }

        if (Find(room) is { } subscription)
        {
            return subscription;
        }

        // Also after a single-conversation socket's subscription has ended (a replay failure is closing it).
        Reply(ChatFrames.Error(ChatErrorCodes.NotSubscribed,
            $"Not following {room}; send {{\"action\":\"subscribe\",\"room\":\"{room}\"}} first.", id: EchoId(frame.Id), room: room));
        return null;
    }

    private async Task HandleSubscribeAsync(ClientFrame frame)
    {
        if (frame.After is < 0)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, "\"after\" must be the last seq you have (0 for everything), or left out for the latest events.", room: frame.Room));
            return;
        }

        if (!ConversationKey.TryParse(frame.Room, out var key))
        {
            Reply(NotFound(frame.Room));
            return;
        }

        if (Find(key.Value) is not null)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest,
                $"Already following {key}; to replay from a seq, send {{\"action\":\"resume\",\"room\":\"{key}\",\"after\":N}}.", room: key.Value));
            return;
        }

        if (Subscriptions().Length >= _options.MaxSubscriptions)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest,
                $"A socket follows at most {_options.MaxSubscriptions} conversations (Chat:MaxSubscriptions); unsubscribe from one first.", room: key.Value));
            return;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_socket.ReceiveAborted);
            timeout.CancelAfter(_options.WriteAttemptTimeout);
            if (!await _services.Access.CanAccessAsync(Account, key, timeout.Token))
            {
                Reply(NotFound(key.Value));
                return;
            }

            if (Account is not null && key.Kind == ConversationKind.Public)
            {
                await _services.Conversations.FollowAsync(Account.Id, key, timeout.Token);
            }
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !_socket.IsClosing)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.Unavailable, $"{key} could not be opened: the database did not answer; subscribe again.", retryable: true, room: key.Value));
            return;
        }

        Subscribe(key, frame.After);
    }

    private void HandleResume(RoomSubscription subscription, ClientFrame frame)
    {
        if (frame.After is not >= 0)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, "resume needs \"after\": the last seq you have (0 for everything).", room: RoomOf(subscription)));
            return;
        }

        // A replay can read the whole room: one at a time per subscription, on top of the frame rate limit.
        if (!subscription.TryQueueResume(frame.After.Value))
        {
            Reply(ChatFrames.Error(ChatErrorCodes.RateLimited,
                "A resume is already being replayed; ask again after it has finished.", retryable: true, room: RoomOf(subscription)));
        }
    }

    private async Task HandleWhoAsync(RoomSubscription subscription)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_socket.ReceiveAborted);
            timeout.CancelAfter(_options.WriteAttemptTimeout);
            Reply(ChatFrames.Who(subscription.Room, await _services.Presence.UsersInAsync(subscription.Room, timeout.Token)));
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !_socket.IsClosing)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.Unavailable, "Who is here could not be read: the database did not answer; ask again.", retryable: true, room: RoomOf(subscription)));
        }
    }

    private void HandleTyping(RoomSubscription subscription, TimeSpan now)
    {
        // Ephemeral and throttled: a chatty keyboard must not flood the room.
        if (subscription.LastTyping is { } last && now - last < _options.TypingInterval)
        {
            return;
        }

        subscription.LastTyping = now;
        _services.Bus.PublishEphemeral(subscription.Room, ChatFrames.Typing(subscription.Room, User), except: subscription);
    }

    private async Task HandleReadAsync(RoomSubscription subscription, ClientFrame frame)
    {
        if (Account is null)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, "Read markers belong to accounts: sign in to use \"read\".", room: RoomOf(subscription)));
            return;
        }

        if (frame.Seq is not >= 0)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, "read needs \"seq\": the last seq you have read.", room: RoomOf(subscription)));
            return;
        }

        long? marker;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_socket.ReceiveAborted);
            timeout.CancelAfter(_options.WriteAttemptTimeout);
            marker = await _services.ReadMarkers.MarkAsync(Account, subscription.Key, frame.Seq.Value, timeout.Token);
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !_socket.IsClosing)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.Unavailable, "The read marker was not stored: the database did not answer; send it again.", retryable: true, room: RoomOf(subscription)));
            return;
        }

        if (marker is null)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, $"seq {frame.Seq} is beyond the last event of {subscription.Room}.", room: RoomOf(subscription)));
        }
    }

    private async Task HandleMessageAsync(RoomSubscription subscription, ClientFrame frame)
    {
        var id = frame.Id;
        var room = RoomOf(subscription);
        if (MessagePosting.TextProblem(frame.Message) is { } problem)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, $"\"message\" {problem}.", id: EchoId(id), room: room));
            return;
        }

        if (_services.Posting.IsTooLarge(frame.Message!))
        {
            _socket.RequestClose(WebSocketCloseStatus.MessageTooBig, $"message text larger than {_options.MaxMessageBytes} bytes");
            return;
        }

        if (id is not null && !MessagePosting.IsValidId(id))
        {
            Reply(ChatFrames.Error(ChatErrorCodes.BadRequest, $"\"id\" must be 1-{MessagePosting.MaxIdLength} printable characters.",
                id: EchoId(id), room: room));
            return;
        }

        PostResult result;
        try
        {
            result = await _services.Posting.PostAsync(subscription.Room, User, frame.Message!, id ?? NewId(), _socket.ReceiveAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Reply(ChatFrames.Error(ChatErrorCodes.Internal, "The message could not be stored.", id: id, room: room));
            return;
        }

        switch (result.Outcome)
        {
            case PostOutcome.Unavailable:
                SendUnavailable(id, room, result.Why!);
                break;
            case PostOutcome.Conflict:
                Reply(ChatFrames.Error(ChatErrorCodes.IdConflict,
                    $"Id '{id}' already belongs to another message in this room (#{result.Event!.Seq} by {result.Event.User}); yours was not stored. "
                    + "Send it again with an id nobody else uses, such as a UUID.",
                    id: id, room: room));
                break;
            case PostOutcome.Stored when id is not null:
                Reply(ChatFrames.Ack(subscription.Room, id, result.Event!.Seq));
                break;
        }
    }

    private void Reply(byte[] frame) => _socket.Send(frame);

    // Error frames name the room on /ws; on a single-conversation URL they look as they always have.
    private string? RoomOf(RoomSubscription subscription) => IsMulti ? subscription.Room : null;

    private static byte[] NotFound(string? room) =>
        ChatFrames.Error(ChatErrorCodes.NotFound, $"No conversation {room} that you can open.", room: room);

    // An id repeated in an error frame, cut to length; one that cannot be written as JSON text is left out.
    private static string? EchoId(string? id) =>
        id is not null && StorableText.IsValid(id) ? id[..Math.Min(id.Length, MessagePosting.MaxIdLength)] : null;

    // A timed-out or failed attempt may still have committed (only its answer was lost), so the client must not be
    // told that nothing was stored; resending the same id is safe either way.
    private void SendUnavailable(string? id, string? room, string why) => Reply(ChatFrames.Error(
        ChatErrorCodes.Unavailable,
        id is null
            ? $"{why}: the message may not have been stored; send it again with the same id (give messages an \"id\" so that a resend cannot be stored twice)."
            : $"{why}: the message may not have been stored; send it again with the same id.",
        retryable: true,
        id: id,
        room: room));
}
