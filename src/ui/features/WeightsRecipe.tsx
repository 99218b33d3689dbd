/**
 * The README's recipe for real backbone weights, one click away in the panel (the page may be offline, so the
 * steps are here rather than behind a link).
 */
export function WeightsRecipe() {
  return (
    <details className="sp-recipe" data-testid="weights-recipe">
      <summary>How to get real weights (the README's recipe)</summary>
      <ol>
        <li>
          On a computer with Python: <code>pip install tensorflow tensorflowjs</code>
        </li>
        <li>
          Save the Keras network: <code>python -c "from tensorflow.keras.applications import VGG16; VGG16().save('vgg16.h5')"</code> (or{' '}
          <code>MobileNet(alpha=0.25)</code>)
        </li>
        <li>
          Convert it: <code>tensorflowjs_converter --input_format keras vgg16.h5 vgg16_tfjs/</code>
        </li>
        <li>
          Here, choose <b>Folder</b> and pick the converter's output folder (or <b>Files</b>: <code>model.json</code> with every shard it names), or serve the folder and give the URL of{' '}
          <code>model.json</code>.
        </li>
      </ol>
      <p>VGG16 weights are about 530 MB: MobileNet 0.25 (2 MB) is the quick option for a class.</p>
    </details>
  );
}
