using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StChat.Server.Operations;

/// <summary>
/// Starts the features' hosted services (the schema migration first, then the NATS connection, the ingest worker, the
/// chat log writer, presence, the catalogue...) one after another in registration order, in the background, so that
/// the web server listens from the first moment. Until they have all started, /healthz answers, /readyz says what
/// start-up waits for (PostgreSQL that cannot be reached yet, say), and every other request gets 503 (see
/// <see cref="OperationsEndpoints"/>). A service that fails to start, or a worker that fails later, stops the process,
/// as the host does for its own services; <see cref="Commands.HostRunner"/> turns that into exit code 1.
/// </summary>
internal sealed partial class StartupSequence(
    IServiceProvider services,
    IReadOnlyList<Func<IServiceProvider, IHostedService>> features,
    IHostApplicationLifetime lifetime,
    ILogger<StartupSequence> logger) : IHostedService, IDisposable
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IHostedService> _running = [];
    private Task _run = Task.CompletedTask;

    public bool IsStarted => _started.Task.IsCompletedSuccessfully;

    /// <summary>Completes when every service has started; faults with the reason one of them could not.</summary>
    public Task Started => _started.Task;

    /// <summary>The started services that run a worker loop, to see afterwards whether one of them failed.</summary>
    public IReadOnlyList<BackgroundService> Workers
    {
        get
        {
            lock (_running)
            {
                return [.. _running.OfType<BackgroundService>()];
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _run.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        IHostedService[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        // Last started, first stopped, as the host does.
        foreach (var service in running.Reverse())
        {
            try
            {
                await service.StopAsync(cancellationToken);
            }
            catch (Exception e)
            {
                LogStopFailed(logger, e, service.GetType().Name);
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>
    /// Moves every hosted service registered so far into a <see cref="StartupSequence"/>, which takes their place. Call
    /// after the features are registered and before anything whose hosted service must start with the host.
    /// </summary>
    public static void TakeOver(IServiceCollection services)
    {
        var features = new List<Func<IServiceProvider, IHostedService>>();
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService).ToArray())
        {
            services.Remove(descriptor);
            features.Add(Resolver(services, descriptor));
        }

        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<StartupSequence>(sp, features));
        services.AddHostedService(sp => sp.GetRequiredService<StartupSequence>());
    }

    // A type is registered as a singleton of its own, so the container still creates and disposes it.
    private static Func<IServiceProvider, IHostedService> Resolver(IServiceCollection services, ServiceDescriptor descriptor)
    {
        if (descriptor.ImplementationType is { } type)
        {
            services.Add(ServiceDescriptor.Singleton(type, type));
            return sp => (IHostedService)sp.GetRequiredService(type);
        }

        if (descriptor.ImplementationFactory is { } factory)
        {
            return sp => (IHostedService)factory(sp);
        }

        var instance = (IHostedService)descriptor.ImplementationInstance!;
        return _ => instance;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // Off the host's start-up path: the web server starts while this waits for PostgreSQL.
        await Task.Yield();
        try
        {
            foreach (var resolve in features)
            {
                var service = resolve(services);
                await service.StartAsync(ct);
                lock (_running)
                {
                    _running.Add(service);
                }

                if (service is BackgroundService { ExecuteTask: { } worker })
                {
                    _ = WatchAsync(service.GetType().Name, worker);
                }
            }

            _started.TrySetResult();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _started.TrySetCanceled(ct);
        }
        catch (Exception e)
        {
            _started.TrySetException(e);
            lifetime.StopApplication();
        }
    }

    private async Task WatchAsync(string name, Task worker)
    {
        try
        {
            await worker;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogWorkerFailed(logger, e, name);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Service} failed; the process stops")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service} did not stop cleanly")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string service);
}
