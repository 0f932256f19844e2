//! Images in a ketch session: decode -> resize -> attributes through SQL, a
//! cast from tensors, and Daft's logical types kept through a Parquet file.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BinaryArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema, UInt32Type};
use datafusion::common::Result;
use datafusion::datasource::MemTable;
use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::{SessionContext, col, lit};
use datafusion_proto::bytes::physical_plan_to_bytes_with_extension_codec;
use image::{DynamicImage, RgbImage};
use ketch_exec::codec::{KetchCodec, physical_plan_from_bytes};
use ketch_exec::{ExecConfig, new_session};
use ketch_functions::multimodal::image::{encode, image_format};
use ketch_functions::multimodal::{ImageMode, Logical};
use ketch_io::formats::Format;
use ketch_io::scan::{ScanOptions, scan};
use ketch_plan::udf::{UdfDecoder, UdfHandle};

/// A session with table `t(b)`: PNG bytes of a 6x4 and a 3x5 RGB image, and a null.
fn session() -> Result<SessionContext> {
    let png = |w, h| {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 40) as u8, (y * 60) as u8, 7]));
        encode(&DynamicImage::ImageRgb8(img), image_format("PNG").unwrap()).unwrap()
    };
    let b = BinaryArray::from(vec![Some(png(6, 4).as_slice()), Some(png(3, 5).as_slice()), None]);
    let schema = Arc::new(Schema::new(vec![datafusion::arrow::datatypes::Field::new("b", DataType::Binary, true)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(b)])?;
    let ctx = new_session(&ExecConfig::default())?;
    ctx.register_table("t", Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
    Ok(ctx)
}

fn u32s(batch: &RecordBatch, name: &str) -> Vec<Option<u32>> {
    batch.column_by_name(name).unwrap().as_primitive::<UInt32Type>().iter().collect()
}

#[tokio::test]
async fn decode_resize_and_attributes() -> Result<()> {
    let ctx = session()?;
    let sql = "select image_width(decode_image(b)) as w, image_height(decode_image(b)) as h, \
               image_width(resize(decode_image(b), 10, 2)) as rw, image_mode(decode_image(b, 'raise', 'L')) as m, \
               decode_image(b) as img, resize(decode_image(b), 10, 2) as small from t";
    let df = ctx.sql(sql).await?;
    let img = df.schema().field_with_unqualified_name("img")?;
    assert_eq!(Logical::of_field(img), Some(Logical::Image(Some(ImageMode::RGB))));
    let small = df.schema().field_with_unqualified_name("small")?;
    assert_eq!(Logical::of_field(small), Some(Logical::FixedShapeImage(ImageMode::RGB, 2, 10)));
    let batch = datafusion::arrow::compute::concat_batches(&df.schema().inner().clone(), &df.collect().await?)?;
    assert_eq!(u32s(&batch, "w"), [Some(6), Some(3), None]);
    assert_eq!(u32s(&batch, "h"), [Some(4), Some(5), None]);
    assert_eq!(u32s(&batch, "rw"), [Some(10), Some(10), None]);
    assert_eq!(u32s(&batch, "m"), [Some(ImageMode::L as u32), Some(ImageMode::L as u32), None]);
    Ok(())
}

#[tokio::test]
async fn corrupt_bytes_name_the_row() -> Result<()> {
    let ctx = session()?;
    let err = ctx.sql("select decode_image(arrow_cast('nope', 'Binary')) as x").await?.collect().await;
    assert!(err.unwrap_err().to_string().contains("row 0"));
    let ok = ctx.sql("select decode_image(arrow_cast('nope', 'Binary'), 'null') as x").await?.collect().await?;
    assert!(ok[0].column(0).is_null(0));
    Ok(())
}

#[tokio::test]
async fn image_types_survive_parquet() -> Result<()> {
    let ctx = session()?;
    let dir = std::env::temp_dir().join(format!("ketch-mm-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("images.parquet");
    let batches = ctx.sql("select decode_image(b) as img from t").await?.collect().await?;
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&file)?, batches[0].schema(), None)?;
    for b in &batches {
        writer.write(b)?;
    }
    writer.close()?;
    let opts = ScanOptions { infer_schema: true, ..Default::default() };
    let plan = scan(&ctx.state(), &[file.display().to_string()], &Format::Parquet, &opts).await?;
    let field = plan.schema().field_with_unqualified_name("img")?.clone();
    assert_eq!(Logical::of_field(&field), Some(Logical::Image(Some(ImageMode::RGB))));
    let read = ctx.execute_logical_plan(plan.clone()).await?.collect().await?;
    assert_eq!(read[0].column(0).as_struct().column_by_name("width").unwrap().len(), 3);

    // Images encoded and decoded again: the decode gets small morsels, and
    // the plan (with its MorselExec) travels as bytes.
    let f = |name: &str, args| ketch_functions::scalar(name).expect(name).call(args);
    let png = f("encode_image", vec![col("img"), lit("PNG")]);
    let decoded = f("decode_image", vec![png.clone()]);
    // A call over another call's image result: after the round trip the
    // inner call's result field must still say "image".
    let nested = f("image_width", vec![f("resize", vec![f("decode_image", vec![png]), lit(4), lit(2)])]);
    let df = datafusion::dataframe::DataFrame::new(ctx.state(), plan)
        .select(vec![decoded.alias("w"), nested.alias("rw")])?;
    let physical = df.create_physical_plan().await?;
    let shown = displayable(physical.as_ref()).indent(true).to_string();
    assert!(shown.contains("MorselExec: rows=64") && shown.contains("UDFProjectExec"), "{shown}");
    let codec = KetchCodec::new(Arc::new(NoUdfs), Arc::new(ketch_exec::codec::NoHostSources));
    let bytes = physical_plan_to_bytes_with_extension_codec(physical, &codec)?;
    let decoded = physical_plan_from_bytes(&bytes, &ctx.task_ctx(), &codec)?;
    assert_eq!(displayable(decoded.as_ref()).indent(true).to_string(), shown);
    let out = collect(decoded, ctx.task_ctx()).await?;
    let widths: Vec<Option<u32>> = out
        .iter()
        .flat_map(|b| {
            let s = b.column(0).as_struct();
            let w = s.column_by_name("width").unwrap().as_primitive::<UInt32Type>().clone();
            (0..b.num_rows()).map(move |i| (!s.is_null(i)).then(|| w.value(i)))
        })
        .collect();
    assert_eq!(widths, [Some(6), Some(3), None]);
    let resized: Vec<Option<u32>> =
        out.iter().flat_map(|b| b.column(1).as_primitive::<UInt32Type>().iter().collect::<Vec<_>>()).collect();
    assert_eq!(resized, [Some(4), Some(4), None]);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[derive(Debug)]
struct NoUdfs;

impl UdfDecoder for NoUdfs {
    fn decode(&self, name: &str, _: &[u8]) -> Result<Arc<dyn UdfHandle>> {
        datafusion::common::exec_err!("no UDF {name} in this test")
    }
}
