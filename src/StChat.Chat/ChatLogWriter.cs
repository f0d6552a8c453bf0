using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Storage;

namespace StChat.Chat;

// Group commit: one loop drains the queue of pending events and stores whatever has accumulated (up to
// MaxBatchSize) in one transaction, so a busy room pays a few round trips per batch, not per message. Only after
// the commit are senders answered and events handed to the fan-out: nothing is visible before it is durable.
internal sealed class ChatLogWriter : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly Channel<PendingEvent> _queue;
    private readonly List<PendingEvent> _batch = [];

    // Parts of a batch that failed for good, split to find the event at fault; written before anything newer, the
    // top of the stack first, so the events keep their queue order.
    private readonly Stack<List<PendingEvent>> _split = new();
    private readonly ChatLogStore _store;
    private readonly IRoomEventBus _bus;
    private readonly ChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ChatMetrics _metrics;
    private readonly ILogger<ChatLogWriter> _logger;

    public ChatLogWriter(
        ChatLogStore store, IRoomEventBus bus, IOptions<ChatOptions> options, TimeProvider time, ChatMetrics metrics, ILogger<ChatLogWriter> logger)
    {
        _store = store;
        _bus = bus;
        _metrics = metrics;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingEvent>(new BoundedChannelOptions(_options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    // False when the queue is full or the writer has stopped; the caller answers "unavailable".
    public bool TryEnqueue(PendingEvent pending) => _queue.Writer.TryWrite(pending);

    // The sender's side of an enqueued message: its stored event, or TimeoutException once `wait` has passed without
    // it. Then the event is abandoned, so no later attempt stores it, unless an attempt holds it right now: that
    // attempt's own timeout bounds the rest of the wait. ChatUnavailableException when the log gave up on it.
    public async Task<ChatEvent> WaitForStoredAsync(PendingEvent pending, TimeSpan wait, CancellationToken ct)
    {
        try
        {
            return await pending.Completion.Task.WaitAsync(wait, _time, ct);
        }
        catch (TimeoutException) when (!pending.TryAbandon())
        {
            return await pending.Completion.Task.WaitAsync(ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                if (_batch.Count == 0 && !TakeSplit())
                {
                    if (!await _queue.Reader.WaitToReadAsync(stoppingToken))
                    {
                        break;
                    }

                    Fill();
                }

                await WriteWithRetryAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await DrainAsync();
    }

    // On shutdown, the exit events queued by closing connections are still stored, for a bounded time.
    private async Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        using var drain = new CancellationTokenSource(_options.ShutdownTimeout);
        try
        {
            while (_batch.Count > 0 || TakeSplit() || Fill())
            {
                await WriteWithRetryAsync(drain.Token);
            }
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested)
        {
            while (TakeSplit())
            {
            }

            while (_queue.Reader.TryRead(out var pending))
            {
                _batch.Add(pending);
            }

            var lost = _batch.Count;
            Fail(_batch, new ChatUnavailableException("The server stopped before the event could be stored."));

            _logger.LogError("Stopped with {Count} chat event(s) not stored: PostgreSQL did not accept them within {Timeout}", lost, _options.ShutdownTimeout);
        }
    }

    // The next part left by a split becomes the batch.
    private bool TakeSplit()
    {
        if (!_split.TryPop(out var part))
        {
            return false;
        }

        _batch.AddRange(part);
        return true;
    }

    private bool Fill()
    {
        while (_batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var pending))
        {
            _batch.Add(pending);
        }

        return _batch.Count > 0;
    }

    private async Task WriteWithRetryAsync(CancellationToken giveUp)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            // Messages whose senders were already told "unavailable" must not be stored any more.
            _batch.RemoveAll(p => !p.TryClaim());
            if (_batch.Count == 0)
            {
                return;
            }

            try
            {
                var result = await AppendWithinAttemptTimeoutAsync();
                _metrics.Committed(result.Inserted, Stopwatch.GetElapsedTime(started).TotalSeconds);

                for (var i = 0; i < _batch.Count; i++)
                {
                    _batch[i].Completion.TrySetResult(result.Results[i]);
                }

                _batch.Clear();
                if (attempt > 1)
                {
                    _logger.LogInformation("Chat log writes recovered after {Attempts} attempts", attempt);
                }

                // Not only what this attempt inserted: when an earlier attempt committed but its answer was lost
                // (timeout, broken connection), this attempt finds the events already stored, and they have not been
                // broadcast yet. Connections drop any seq they have already delivered.
                var fanOut = Stopwatch.GetTimestamp();
                _bus.PublishCommitted(result.Inserted.Count == result.Results.Length ? result.Inserted : Committed(result));
                _metrics.FannedOut(Stopwatch.GetElapsedTime(fanOut).TotalSeconds);
                return;
            }
            catch (Exception e) when (ChatRetryableFailures.IsRetryable(e))
            {
                _logger.LogWarning("Storing {Count} chat event(s) failed (attempt {Attempt}): {Error}; retrying in {Delay} ms",
                    _batch.Count, attempt, e.Message, delay.TotalMilliseconds);
                var now = UtcNow;
                foreach (var pending in _batch)
                {
                    pending.Release();
                    if (pending.IsExpired(now) && pending.TryAbandon())
                    {
                        pending.Completion.TrySetException(new ChatUnavailableException("The chat log is unavailable; resend with the same id.", e));
                    }
                }
            }
            catch (Exception e) when (_batch.Count > 1)
            {
                // One bad event (text PostgreSQL refuses, a violated constraint) must not fail the events of other
                // users and rooms batched with it: halve the batch until the failure is down to the event at fault.
                _logger.LogInformation("Storing {Count} chat event(s) failed and will not be retried as a whole: {Error}; writing them in two halves",
                    _batch.Count, e.Message);
                var half = _batch.Count / 2;
                _split.Push(_batch.GetRange(half, _batch.Count - half));
                _batch.RemoveRange(half, _batch.Count - half);
                foreach (var pending in _batch.Concat(_split.Peek()))
                {
                    pending.Release();
                }

                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Storing a chat event ({Action} by {User} in {Room}, id {Id}) failed and will not be retried",
                    ChatEvent.ActionName(_batch[0].Action), _batch[0].User, _batch[0].Room, _batch[0].Id);
                Fail(_batch, e);
                return;
            }

            await Task.Delay(delay, _time, giveUp);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    // Npgsql honours the token only as far as PostgreSQL answers: against a server that hangs (paused, or behind a
    // network that drops packets) its cancel request waits for that server too. So the attempt is given up at its
    // timeout whatever the driver does, and works on a copy of the batch, which the retry goes on changing. Should
    // the abandoned attempt still commit, the retry finds its ids stored (chat_log is unique per room and id).
    private async Task<AppendResult> AppendWithinAttemptTimeoutAsync()
    {
        var timeout = _options.WriteAttemptTimeout;

        // Not linked to the stopping token: a commit that is under way is allowed to finish during shutdown. Disposed
        // only once the attempt has ended: an abandoned attempt still needs its timer to cancel it. The time is cut to
        // PostgreSQL's microseconds, so the live event and its replay show the same timestamp.
        var cancel = new CancellationTokenSource(timeout, _time);
        var attempt = _store.AppendAsync(_batch.ToArray(), PostgresTimestamp.ToMicroseconds(UtcNow), cancel.Token);
        try
        {
            var result = await attempt.WaitAsync(timeout, _time, CancellationToken.None);
            cancel.Dispose();
            return result;
        }
        catch (TimeoutException e) when (!attempt.IsCompleted)
        {
            throw new TimeoutException($"PostgreSQL did not answer within {timeout.TotalSeconds:0.###} s", e);
        }
        catch
        {
            cancel.Dispose();
            throw;
        }
    }

    // The distinct events of the results, in seq order within each room, as the bus expects them.
    private static List<ChatEvent> Committed(AppendResult result)
    {
        var events = new List<ChatEvent>(result.Results.Length);
        var seen = new HashSet<(string Room, long Seq)>();
        foreach (var e in result.Results)
        {
            if (seen.Add((e.Room, e.Seq)))
            {
                events.Add(e);
            }
        }

        events.Sort(static (a, b) => a.Room == b.Room ? a.Seq.CompareTo(b.Seq) : string.CompareOrdinal(a.Room, b.Room));
        return events;
    }

    private static void Fail(List<PendingEvent> batch, Exception error)
    {
        foreach (var pending in batch)
        {
            pending.Completion.TrySetException(error);
        }

        batch.Clear();
    }
}
