using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Nats;
using StChat.Storage;

namespace StChat.Ingest;

public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Registers the feed-ingest worker with its options (section <c>Ingest</c>, validated at start), the process's
    /// NATS connection (<c>Nats:Url</c>) and the storage it writes to. Storage is registered first so the schema
    /// migration runs before the worker starts.
    /// </summary>
    public static IServiceCollection AddStChatIngest(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStChatStorage(configuration);

        var natsUrl = NatsUrl.Get(configuration);
        services.TryAddSingleton(sp => new NatsConnection(new NatsOpts
        {
            Url = natsUrl,
            Name = "stchat",
            LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
        }));

        services.AddOptions<IngestOptions>()
            .Bind(configuration.GetSection(IngestOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>());
        services.TryAddSingleton<CatalogueWriter>();
        services.TryAddSingleton<StreamIncarnation>();
        services.AddHostedService<IngestWorker>();
        return services;
    }
}
