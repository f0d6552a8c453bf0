using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StChat.Ingest;
using StChat.Messaging;
using StChat.Storage;

namespace StChat.Catalogue;

public static class CatalogueServiceCollectionExtensions
{
    /// <summary>
    /// Registers the live catalogue served by <see cref="CatalogueEndpointRouteBuilderExtensions.MapStChatCatalogue"/>:
    /// options from the <c>Catalogue</c> section (validated on start), the stream and consumer names from <c>Ingest</c>,
    /// the process's NATS connection (the horizon is the ingest consumer's ack floor, so the catalogue always needs
    /// NATS, whatever <c>Chat:Bus</c> is) and the shared PostgreSQL data source.
    /// </summary>
    /// <summary>
    /// <c>Catalogue:Enabled</c> when it is set, otherwise <paramref name="byDefault"/>: whether the process has a NATS
    /// connection for another reason.
    /// </summary>
    public static bool IsCatalogueEnabled(this IConfiguration configuration, bool byDefault) =>
        configuration.GetSection(CatalogueOptions.SectionName).GetValue<bool?>(nameof(CatalogueOptions.Enabled)) ?? byDefault;

    public static IServiceCollection AddStChatCatalogue(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStChatStorage(configuration);
        services.AddStChatNats();
        services.AddOptions<CatalogueOptions>().BindConfiguration(CatalogueOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CatalogueOptions>, CatalogueOptionsValidator>());
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CatalogueReader>();
        services.TryAddSingleton<SportTally>();
        services.TryAddSingleton<CatalogueHorizon>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CatalogueHorizon>(sp => sp.GetRequiredService<CatalogueHorizon>()));
        services.TryAddSingleton<CatalogueEndpoints>();
        return services;
    }
}
