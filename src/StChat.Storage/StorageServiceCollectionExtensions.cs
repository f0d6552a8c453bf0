using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace StChat.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> for the process and the start-up migration service. Safe to call
    /// from every feature that needs the database: the second call adds nothing.
    /// </summary>
    public static IServiceCollection AddStChatStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = PostgresConnectionString.Get(configuration);
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MigrationService>());
        return services;
    }
}
