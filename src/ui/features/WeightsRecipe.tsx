/**
 * Where real backbone weights come from, one click away in the panel (the page may be offline, so the steps
 * are here rather than behind a link). The README's "Real VGG16 weights" says the same.
 */
export function WeightsRecipe() {
  return (
    <details className="sp-recipe" data-testid="weights-recipe">
      <summary>How to get real weights</summary>
      <ol>
        <li>
          If Keras ever ran <code>VGG16(weights='imagenet')</code> on your computer, the file is already there:{' '}
          <code>~/.keras/models/vgg16_weights_tf_dim_ordering_tf_kernels.h5</code> (528 MB; not the <code>_notop</code> one, which lacks fc2). For
          MobileNet 0.25: <code>mobilenet_2_5_224_tf.h5</code>.
        </li>
        <li>Otherwise download that file once from the Keras applications releases (the same name).</li>
        <li>
          Here, choose <b>Keras .h5 file</b> and pick it: it is read in place, layer by layer, nothing is uploaded. A saved Keras model (
          <code>model.save('vgg16.h5')</code> or <code>.keras</code>) works too.
        </li>
      </ol>
      <p>
        The alternative: convert with <code>pip install tensorflow tensorflowjs</code> and{' '}
        <code>tensorflowjs_converter --input_format keras vgg16.h5 vgg16_tfjs/</code>, then pick the output folder (or <code>model.json</code> with every shard it{' '}
        names), or serve the folder and give the URL of <code>model.json</code>.
      </p>
      <p>VGG16 weights are about 530 MB: MobileNet 0.25 (2 MB) is the quick option for a class.</p>
    </details>
  );
}
