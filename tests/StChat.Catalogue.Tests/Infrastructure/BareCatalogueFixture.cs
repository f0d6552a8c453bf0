namespace StChat.Catalogue.Tests.Infrastructure;

// The catalogue without an ingest worker: the test itself plays the workers, storing and acknowledging in the order
// it chooses.
public sealed class BareCatalogueFixture : CatalogueFixture
{
    protected override bool Ingest => false;
}
