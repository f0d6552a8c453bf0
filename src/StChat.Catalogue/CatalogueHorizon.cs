using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StChat.Ingest;

namespace StChat.Catalogue;

/// <summary>
/// The catalogue's safe horizon and its live fan-out. Ingest workers acknowledge a message only after its row (or
/// reject) is committed, and several workers may commit batches out of stream order; the durable consumer's ack floor
/// is the highest stream sequence at and below which every message is acknowledged, so every row up to it is
/// committed and final. Rows are only ever shown up to the horizon, which is that ack floor: a socket that moved its
/// cursor past N can never later find an unseen row below N.
/// The floor is read from the consumer's info at every notice a worker publishes after a batch
/// (<see cref="CatalogueNotices"/>) and every <see cref="CatalogueOptions.PollInterval"/>. When it advances and
/// someone is watching, the new range is read from PostgreSQL once and handed to every socket as one chunk.
/// </summary>
internal sealed class CatalogueHorizon(
    INatsConnection nats,
    INatsJSContext js,
    CatalogueReader reader,
    IOptions<CatalogueOptions> options,
    IOptions<IngestOptions> ingest,
    TimeProvider time,
    ILogger<CatalogueHorizon> logger) : BackgroundService
{
    // After a notice the ack floor may lag the acks by a moment; it is read again this soon, doubling, until it
    // reaches the notice's sequence or the regular interval is due.
    private static readonly TimeSpan NoticeRetry = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private readonly CatalogueOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly List<CatalogueSubscription> _subscriptions = [];
    private readonly Queue<(DateTimeOffset At, long Horizon)> _samples = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TaskCompletionSource _known = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _horizon;
    private long _noticed;
    private CatalogueStats _stats = new(0, 0, 0, null);
    private string? _lastFailure = "";

    public string Stream { get; } = ingest.Value.Stream;

    public string Consumer { get; } = ingest.Value.Consumer;

    /// <summary>Every catalogue row of <see cref="Stream"/> with a sequence at or below this is committed.</summary>
    public long Horizon => Volatile.Read(ref _horizon);

    public CatalogueStats Stats => Volatile.Read(ref _stats);

    /// <summary>Completes once the ack floor has been read at least once since start.</summary>
    public Task Known => _known.Task;

    public int Subscribers
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    // Registered before the socket reads the horizon, under the lock the horizon advances under: either the socket
    // sees the advanced horizon, or it gets the chunk (or both, and the chunk is skipped by its cursor).
    public CatalogueSubscription Subscribe()
    {
        var subscription = new CatalogueSubscription(_options.SendQueueCapacity, Unsubscribe);
        lock (_gate)
        {
            _subscriptions.Add(subscription);
        }

        return subscription;
    }

    /// <summary>
    /// The ack floor as the broker has it now, which may be ahead of <see cref="Horizon"/> for a moment (this node's
    /// next poll is due, or it is still paging up): another node's horizon, say, that a client resumes from here.
    /// </summary>
    public async Task<long> ReadAckFloorAsync(CancellationToken ct)
    {
        var floor = checked((long)(await js.GetConsumerAsync(Stream, Consumer, ct)).Info.AckFloor.StreamSeq);
        Wake();
        return floor;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(ListenAsync(stoppingToken), PollAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Unsubscribe(CatalogueSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    // The workers' notices only wake the poll loop; the subscription is made again after the connection recovers
    // from anything the client does not resubscribe by itself.
    private async Task ListenAsync(CancellationToken ct)
    {
        var subject = CatalogueNotices.Subject(Stream);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var msg in nats.SubscribeAsync<long>(subject, cancellationToken: ct))
                {
                    if (msg.Data > Volatile.Read(ref _noticed))
                    {
                        Volatile.Write(ref _noticed, msg.Data);
                    }

                    Wake();
                }
            }
            catch (Exception e) when (e is NatsException or TimeoutException && !ct.IsCancellationRequested)
            {
                Log.ListenFailed(logger, subject, e.Message);
                await Task.Delay(_options.PollInterval, ct);
            }
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var retry = NoticeRetry;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await AdvanceAsync(ct);
                if (_lastFailure is not null)
                {
                    Log.Recovered(logger, Stream, Consumer, Horizon);
                    _lastFailure = null;
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is NatsException or TimeoutException
                or OperationCanceledException or Npgsql.NpgsqlException)
            {
                // Reported once per distinct failure: an ingest consumer that does not exist yet is normal at start.
                var failure = e is NatsJSApiException { Error.Code: 404 }
                    ? $"consumer {Consumer} of stream {Stream} does not exist yet (no ingest worker has started)"
                    : e.Message;
                if (failure != _lastFailure)
                {
                    Log.PollFailed(logger, Stream, Consumer, failure);
                    _lastFailure = failure;
                }
            }

            var wait = _options.PollInterval;
            if (Volatile.Read(ref _noticed) > Horizon && retry < _options.PollInterval)
            {
                wait = retry;
                retry *= 2;
            }
            else
            {
                retry = NoticeRetry;
            }

            await _wake.WaitAsync(wait, ct);
        }
    }

    private async Task AdvanceAsync(CancellationToken ct)
    {
        var info = (await js.GetConsumerAsync(Stream, Consumer, ct)).Info;
        var floor = checked((long)info.AckFloor.StreamSeq);
        Sample(info, floor);
        _known.TrySetResult();

        // Readers follow the horizon up in pages, each handed out as it is read.
        while (floor > Horizon)
        {
            var after = Horizon;
            if (!HasSubscribers(after, floor))
            {
                return;
            }

            var rows = await reader.ReadAsync(Stream, feed: null, after, floor, CatalogueReader.PageSize, ct);
            var upTo = rows.Count == CatalogueReader.PageSize ? rows[^1].Seq : floor;
            var chunk = new CatalogueChunk(after, upTo, rows);
            lock (_gate)
            {
                Volatile.Write(ref _horizon, upTo);
                foreach (var subscription in _subscriptions)
                {
                    subscription.Offer(chunk);
                }
            }
        }
    }

    // With nobody watching the horizon just moves; under the lock, so a socket subscribing now sees the new value.
    private bool HasSubscribers(long after, long floor)
    {
        lock (_gate)
        {
            if (_subscriptions.Count > 0)
            {
                return true;
            }

            if (Horizon == after)
            {
                Volatile.Write(ref _horizon, floor);
            }

            return false;
        }
    }

    private void Sample(ConsumerInfo info, long floor)
    {
        var now = time.GetUtcNow();
        var horizon = Math.Max(floor, Horizon);
        _samples.Enqueue((now, horizon));
        while (_samples.Count > 2 && now - _samples.Peek().At > RateWindow)
        {
            _samples.Dequeue();
        }

        var (since, then) = _samples.Peek();
        var seconds = (now - since).TotalSeconds;
        var rate = seconds > 0 ? (horizon - then) / seconds : 0;
        var pending = checked((long)info.NumPending) + info.NumAckPending;
        Volatile.Write(ref _stats, new CatalogueStats(horizon, pending, rate, now));
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
