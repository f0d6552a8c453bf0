using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace StChat.Chat;

// Group commit: one loop drains the queue of pending events and stores whatever has accumulated (up to
// MaxBatchSize) in one transaction, so a busy room pays a few round trips per batch, not per message. Only after
// the commit are senders answered and events handed to the fan-out: nothing is visible before it is durable.
internal sealed class ChatLogWriter : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly Channel<PendingEvent> _queue;
    private readonly List<PendingEvent> _batch = [];
    private readonly ChatLogStore _store;
    private readonly IRoomEventBus _bus;
    private readonly ChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChatLogWriter> _logger;

    public ChatLogWriter(ChatLogStore store, IRoomEventBus bus, IOptions<ChatOptions> options, TimeProvider time, ILogger<ChatLogWriter> logger)
    {
        _store = store;
        _bus = bus;
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                if (_batch.Count == 0)
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
            while (_batch.Count > 0 || Fill())
            {
                await WriteWithRetryAsync(drain.Token);
            }
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested)
        {
            var lost = _batch.Count;
            Fail(_batch, new ChatUnavailableException("The server stopped before the event could be stored."));
            while (_queue.Reader.TryRead(out var pending))
            {
                lost++;
                pending.Completion.TrySetException(new ChatUnavailableException("The server stopped before the event could be stored."));
            }

            _logger.LogError("Stopped with {Count} chat event(s) not stored: PostgreSQL did not accept them within {Timeout}", lost, _options.ShutdownTimeout);
        }
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
                AppendResult result;
                // Not linked to giveUp: a commit that is under way is allowed to finish during shutdown.
                using (var timeout = new CancellationTokenSource(_options.WriteAttemptTimeout))
                {
                    result = await _store.AppendAsync(_batch, Truncate(UtcNow), timeout.Token);
                }

                for (var i = 0; i < _batch.Count; i++)
                {
                    _batch[i].Completion.TrySetResult(result.Results[i]);
                }

                _batch.Clear();
                if (attempt > 1)
                {
                    _logger.LogInformation("Chat log writes recovered after {Attempts} attempts", attempt);
                }

                _bus.PublishCommitted(result.Inserted);
                return;
            }
            catch (Exception e) when (IsRetryable(e))
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
            catch (Exception e)
            {
                _logger.LogError(e, "Storing {Count} chat event(s) failed and will not be retried", _batch.Count);
                Fail(_batch, e);
                return;
            }

            await Task.Delay(delay, _time, giveUp);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private static void Fail(List<PendingEvent> batch, Exception error)
    {
        foreach (var pending in batch)
        {
            pending.Completion.TrySetException(error);
        }

        batch.Clear();
    }

    // PostgreSQL keeps microseconds; the live event and its replay must show the same timestamp.
    private static DateTime Truncate(DateTime utc) => new(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);

    internal static bool IsRetryable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)   // connection exceptions
            || pg.SqlState is "57P01" or "57P02" or "57P03"                              // admin shutdown, crash, starting up
            or "53300" or "40001" or "40P01"                                             // too many connections, serialization, deadlock
            or "23505",                                                                  // a concurrent writer stored the same id first
        NpgsqlException => true,     // I/O and broken connections; the server never saw or never answered the batch
        OperationCanceledException => true,   // the attempt timed out
        TimeoutException => true,
        System.Net.Sockets.SocketException => true,
        _ => false,
    };
}
