using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StChat.Messaging;
using StChat.Storage;

namespace StChat.Ingest;

public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Registers the feed-ingest worker with its options (section <c>Ingest</c>, validated at start), the process's
    /// NATS connection (section <c>Nats</c>) and the storage it writes to. Storage is registered first so the schema
    /// migration runs before the worker starts.
    /// </summary>
    public static IServiceCollection AddStChatIngest(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStChatStorage(configuration);
        services.AddStChatNats();
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>());
        services.TryAddSingleton<IngestMetrics>();
        services.TryAddSingleton<CatalogueStore>();
        services.TryAddSingleton<StreamIncarnation>();
        services.TryAddSingleton<FeedConsumer>();
        services.TryAddSingleton<BatchCommitter>();
        services.AddHostedService<IngestWorker>();
        return services;
    }
}
