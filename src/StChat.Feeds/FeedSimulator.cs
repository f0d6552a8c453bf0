using System.Globalization;
using Google.Protobuf;
using StChat.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace StChat.Feeds;

/// <summary>
/// Stands in for the feed containers: publishes one <c>event</c> on <c>sport_event</c> and one <c>execution</c> on
/// <c>execution</c> per tick, at <see cref="FeedsArguments.Rate"/> ticks per second, and prints progress each second.
/// </summary>
public sealed class FeedSimulator
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(10);

    private readonly INatsConnection _connection;
    private readonly FeedsArguments _arguments;
    private readonly TextWriter _output;
    private readonly FeedMessageGenerator _generator;
    private readonly INatsJSContext? _js;

    // Distinguishes this run's Nats-Msg-Ids from an earlier run's, so a restart does not look like a duplicate.
    private readonly string _runId = Guid.NewGuid().ToString("N")[..12];

    public FeedSimulator(INatsConnection connection, FeedsArguments arguments, TextWriter output, int? seed = null)
    {
        _connection = connection;
        _arguments = arguments;
        _output = output;
        _generator = new FeedMessageGenerator(seed is null ? new Random() : new Random(seed.Value), TimeProvider.System);
        _js = arguments.UseMsgId ? new NatsJSContext(connection) : null;
    }

    /// <summary>Publishes until <see cref="FeedsArguments.Count"/> per subject is reached or until cancelled.</summary>
    public async Task<FeedSimulatorResult> RunAsync(CancellationToken ct = default)
    {
        await _connection.ConnectAsync().AsTask().WaitAsync(ct);
        var pacer = new Pacer(_arguments.Rate ?? FeedsArguments.DefaultRate);
        var limit = _arguments.Count ?? long.MaxValue;
        long sent = 0;
        long duplicates = 0;
        long sentAtLastPrint = 0;
        var lastPrint = TimeSpan.Zero;
        var cancelled = false;
        try
        {
            while (sent < limit)
            {
                var due = Math.Min(pacer.Due(), limit);

                // Unpaced runs still come up for air, to print progress and notice cancellation.
                var stop = Math.Min(due, sent + 1000);
                while (sent < stop)
                {
                    ct.ThrowIfCancellationRequested();
                    duplicates += await PublishAsync(FeedSubjects.SportEvent, _generator.NextSportEvent().ToByteArray(), sent, ct);
                    duplicates += await PublishAsync(FeedSubjects.Execution, _generator.NextExecution().ToByteArray(), sent, ct);
                    sent++;
                }

                if (pacer.Elapsed - lastPrint >= ProgressInterval)
                {
                    var rate = (sent - sentAtLastPrint) / (pacer.Elapsed - lastPrint).TotalSeconds;
                    lastPrint = pacer.Elapsed;
                    sentAtLastPrint = sent;
                    Print($"feeds: {sent} sport_event + {sent} execution published ({rate:0.0}/s per subject)");
                }

                if (sent < limit)
                {
                    await pacer.WaitForNextAsync(sent, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            cancelled = true;
        }

        // Core publishes are buffered; make sure what was counted has reached the server.
        try
        {
            using var flushTimeout = new CancellationTokenSource(FlushTimeout);
            await _connection.PingAsync(flushTimeout.Token);
        }
        catch (Exception e) when (cancelled && e is NatsException or OperationCanceledException or TimeoutException)
        {
            Print($"feeds: could not confirm that the last messages reached the server: {e.Message}");
        }

        var elapsed = pacer.Elapsed;
        var dup = duplicates > 0 ? $", {duplicates} reported as duplicates by the stream" : "";
        Print($"feeds: done, {sent} sport_event + {sent} execution published in {elapsed.TotalSeconds:0.0} s{dup}");
        return new FeedSimulatorResult(sent, sent, duplicates, elapsed);
    }

    private async ValueTask<int> PublishAsync(string subject, byte[] payload, long index, CancellationToken ct)
    {
        if (_js is null)
        {
            await _connection.PublishAsync(subject, payload, cancellationToken: ct);
            return 0;
        }

        var msgId = string.Create(CultureInfo.InvariantCulture, $"{_runId}-{subject}-{index}");
        var ack = await _js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId }, cancellationToken: ct);

        // The client returns JetStream's refusals (no stream for the subject, a wrong expectation) instead of throwing.
        if (ack.Error is { } error)
        {
            throw new NatsJSException(
                $"JetStream refused message {msgId} on {subject}: {error.Description} (code {error.Code}, err_code " +
                $"{error.ErrCode}). Does a stream capture {subject}? Start `stchat ingest` first, which creates it.");
        }

        return ack.Duplicate ? 1 : 0;
    }

    private void Print(string line)
    {
        _output.WriteLine(line);
        _output.Flush();
    }
}
